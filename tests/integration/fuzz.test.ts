/**
 * Abuse: thousands of malformed events from several sockets. The server stays
 * up, rate limits hold, no room changes, and a room next door carries on.
 */
import { describe, expect, it } from "vitest";
import { clientEventNames, liveEventNames } from "@/core/protocol";
import { mulberry32 } from "@/core/targets/random";
import { emitRaw, expectOk, nextRoomState, send, sendRaw, useTestServer, type TestClient } from "./support";

const EVENTS_PER_SOCKET = 2_000;
const SOCKETS = 5;

/** A random hostile value: wrong types, huge strings, deep nesting, prototype keys, binary. */
function junk(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * 14);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() * 1e308 * (random() > 0.5 ? -1 : 1);
    case 2:
      // Above the per-event cap, below the 16 KB message limit (which drops the connection: malformed.test.ts).
      return "x".repeat(Math.floor(random() * 14_000));
    case 3:
      return JSON.parse('{"__proto__":{"isHost":true},"constructor":{"prototype":{"polluted":1}}}');
    case 4: {
      let nested: unknown = "deep";
      for (let level = 0; level < 200; level++) nested = [nested];
      return nested;
    }
    case 5:
      return Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
    case 6:
      return { roomCode: junk(random, depth + 1), nickname: junk(random, depth + 1), sessionToken: "A".repeat(40) };
    case 7:
      return { percent: random() * 300 - 100, status: ["ready", "loading", "x"][Math.floor(random() * 3)] };
    case 8:
      return { to: "victim", description: { type: "offer", sdp: junk(random, depth + 1) } };
    case 9:
      return { roundIndex: Math.floor(random() * 40) - 5, similarity: random() * 3 - 1, award: "perfect" };
    case 10:
      return { playlist: { rounds: 100, secondsPerRound: -1, difficulty: "insane", roundKinds: [], poseQuality: "ultra" } };
    case 11:
      return [1, "two", { three: 3 }];
    case 12:
      return depth < 3 ? Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, junk(random, depth + 1)])) : {};
    default:
      return true;
  }
}

describe("fuzzing the socket boundary", () => {
  const server = useTestServer({ EVENT_RATE_PER_SECOND: "200", JOIN_RATE_PER_MINUTE: "100000" });

  it(`survives ${EVENTS_PER_SOCKET * SOCKETS} malformed events without changing any room`, async () => {
    // A room that must not change, and a neighbour room that must keep working.
    const victimHost = await server().connectClient();
    const victim = expectOk(await send(victimHost, "room:create", { nickname: "Victim" }));
    const neighbourHost = await server().connectClient();
    const neighbour = expectOk(await send(neighbourHost, "room:create", { nickname: "Neighbour" }));
    const before = JSON.stringify(server().server.realtime.hub.snapshot(victim.room.code));

    const eventNames = [...clientEventNames, ...liveEventNames, "unknown:event", "__proto__", "constructor", "room:state", ""];
    const attackers: TestClient[] = [];
    for (let s = 0; s < SOCKETS; s++) attackers.push(await server().connectClient());

    const answers = await Promise.all(
      attackers.map(async (firstAttacker, s) => {
        let attacker = firstAttacker;
        const random = mulberry32(1000 + s);
        const codes = new Map<string, number>();
        for (let i = 0; i < EVENTS_PER_SOCKET; i++) {
          // Several junk values together can exceed a message's size limit: the server drops such a
          // connection, and the attacker simply comes back.
          if (attacker.disconnected) attacker = await server().connectClient();
          const event = eventNames[Math.floor(random() * eventNames.length)]!;
          const payload = junk(random);
          // Batches keep a steady stream without waiting for every answer in turn.
          if (i % 10 === 9) {
            const answer = (await sendRaw(attacker, event, payload).catch(() => ({ code: "no_answer" }))) as { ok?: boolean; code?: string };
            const code = answer.ok ? "ok" : (answer.code ?? "?");
            codes.set(code, (codes.get(code) ?? 0) + 1);
          } else if (random() < 0.5) {
            emitRaw(attacker, event, payload);
          } else {
            emitRaw(attacker, event, payload, () => undefined);
          }
        }
        return codes;
      }),
    );

    // The server answered with clear refusals, and the rate limit held for these floods.
    const totals = new Map<string, number>();
    for (const codes of answers) for (const [code, count] of codes) totals.set(code, (totals.get(code) ?? 0) + count);
    expect(totals.get("rate_limited") ?? 0).toBeGreaterThan(0);
    expect([...totals.keys()].every((code) => code !== "internal_error")).toBe(true);

    // Nothing changed in the victim room.
    expect(JSON.stringify(server().server.realtime.hub.snapshot(victim.room.code))).toBe(before);

    // The neighbour room still works end to end.
    const friend = await server().connectClient();
    const seen = nextRoomState(neighbourHost, (room) => room.members.length === 2);
    expectOk(await send(friend, "room:join", { roomCode: neighbour.room.code, nickname: "Friend" }));
    expect((await seen).members.map((member) => member.nickname)).toEqual(["Neighbour", "Friend"]);

    // No prototype was polluted along the way.
    expect(({} as Record<string, unknown>).isHost).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000);
});
