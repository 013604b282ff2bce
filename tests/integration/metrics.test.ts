import { describe, expect, it } from "vitest";
import { DEFAULT_PLAYLIST } from "@/core/playlist";
import type { ScoreChange } from "@/core/protocol";
import { expectOk, holdPose, nextRoomState, send, sendRaw, useTestServer, type TestClient } from "./support";

const TOKEN = "metrics-token-for-the-test";

/** The value of one sample in Prometheus text format, e.g. sample(text, 'x_total{reason="rate"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("Prometheus metrics at /metrics", () => {
  const server = useTestServer({ METRICS_TOKEN: TOKEN });
  const scrape = async (authorization = `Bearer ${TOKEN}`) => {
    const response = await fetch(`${server().url}/metrics`, { headers: { authorization } });
    return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() };
  };

  it("answer only with the bearer token when METRICS_TOKEN is set", async () => {
    expect((await scrape("")).status).toBe(401);
    expect((await scrape("Bearer not-the-token")).status).toBe(401);
    const allowed = await scrape();
    expect(allowed.status).toBe(200);
    expect(allowed.contentType).toContain("text/plain");
    // Process defaults come along.
    expect(allowed.text).toContain("process_cpu_user_seconds_total");
    expect(allowed.text).toContain("nodejs_eventloop_lag_seconds");
  });

  it("count rooms, players, accepted and rejected events, and time the scoreboard", async () => {
    const host = await server().connectClient();
    const friend = await server().connectClient();
    const onlooker = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    expectOk(await send(friend, "room:join", { roomCode: created.room.code, nickname: "Ana" }));

    // One refusal of each kind the boundary knows.
    expect(await sendRaw(onlooker, "nope:event", {})).toMatchObject({ code: "unknown_event" });
    expect(await sendRaw(onlooker, "room:create", { nickname: 42 })).toMatchObject({ code: "invalid_payload" });
    expect(await sendRaw(onlooker, "room:create", { nickname: "x".repeat(6000) })).toMatchObject({ code: "payload_too_large" });
    // clock:ping allows 10 a second: a burst of 16 gets some refused.
    const pings = (await Promise.all(Array.from({ length: 16 }, () => sendRaw(onlooker, "clock:ping", {})))) as { ok: boolean; code?: string }[];
    const pingsRefused = pings.filter((answer) => answer.code === "rate_limited").length;
    const pingsAnswered = pings.filter((answer) => answer.ok).length;
    expect(pingsRefused).toBeGreaterThan(0);

    let text = (await scrape()).text;
    expect(sample(text, "poseparty_rooms")).toBe(1);
    expect(sample(text, "poseparty_room_members")).toBe(2);
    expect(sample(text, "poseparty_connected_sockets")).toBe(3);
    expect(sample(text, 'poseparty_client_events_total{event="room:create"}')).toBe(1);
    expect(sample(text, 'poseparty_client_events_total{event="room:join"}')).toBe(1);
    expect(sample(text, 'poseparty_client_events_total{event="clock:ping"}')).toBe(pingsAnswered);
    expect(sample(text, 'poseparty_client_events_rejected_total{reason="unknown"}')).toBe(1);
    expect(sample(text, 'poseparty_client_events_rejected_total{reason="schema"}')).toBe(1);
    expect(sample(text, 'poseparty_client_events_rejected_total{reason="size"}')).toBe(1);
    expect(sample(text, 'poseparty_client_events_rejected_total{reason="rate"}')).toBe(pingsRefused);
    expect(sample(text, "poseparty_scoreboard_latency_seconds_count")).toBe(0);

    // Play into the first round and score: each accepted score is timed until its scoreboard goes out.
    const playing = nextRoomState(host, (room) => room.phase === "playing", 8000);
    expectOk(await send(host, "game:start", { playlist: { ...DEFAULT_PLAYLIST, rounds: 3, secondsPerRound: 10 } }));
    for (const client of [host, friend]) expectOk(await send(client, "preload:progress", { percent: 100, status: "ready" }));
    const firstRound = (await playing).game?.timeline?.rounds[0];
    if (!firstRound) throw new Error("the match has no first round");
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstRound.startsAt - Date.now() + 50)));
    await Promise.all(([host, friend] as TestClient[]).map((client) => holdPose(client, 0, 0.96)));
    const scoreboard = new Promise<ScoreChange[]>((resolve) => host.once("game:scoreboard", ({ entries }) => resolve(entries)));
    const scored = await Promise.all(
      ([host, friend] as TestClient[]).map((client) => send(client, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" })),
    );
    expect(scored.every((answer) => answer.ok)).toBe(true);
    expect((await scoreboard).length).toBeGreaterThan(0);
    // Let a second batch (if the two scores fell into two windows) go out too.
    await new Promise((resolve) => setTimeout(resolve, 200));

    text = (await scrape()).text;
    expect(sample(text, "poseparty_scoreboard_latency_seconds_count")).toBe(2);
    expect(sample(text, 'poseparty_client_events_total{event="game:score"}')).toBe(2);
    expect(sample(text, 'poseparty_scoreboard_latency_seconds_bucket{le="+Inf"}')).toBe(2);
    // Live meter samples are counted too (holdPose sent 7 each).
    expect(sample(text, 'poseparty_client_events_total{event="game:meter"}')).toBe(14);
  });

  it("hold a socket's live meters to their own budget: 40 a second, the rest refused and counted", async () => {
    const accepted = 'poseparty_client_events_total{event="game:meter"}';
    const rateRefused = 'poseparty_client_events_rejected_total{reason="rate"}';
    const before = (await scrape()).text;
    const flooder = await server().connectClient();
    for (let index = 0; index < 100; index++) flooder.emit("game:meter", { roundIndex: 0, similarity: 0.5 });
    // Another budget: answered after the flood was handled (one socket's packets run in order).
    expectOk(await send(flooder, "clock:ping", {}));
    const after = (await scrape()).text;
    expect((sample(after, accepted) ?? 0) - (sample(before, accepted) ?? 0)).toBe(40);
    expect((sample(after, rateRefused) ?? 0) - (sample(before, rateRefused) ?? 0)).toBe(60);
  });
});
