import { beforeEach, describe, expect, it } from "vitest";
import { MAX_SOCKET_MESSAGE_BYTES } from "@/core/protocol";
import { emitRaw, expectOk, send, sendRaw, useTestServer, type TestClient } from "./support";

describe("malformed and abusive input", () => {
  const server = useTestServer({ EVENT_RATE_PER_SECOND: "20", JOIN_RATE_PER_MINUTE: "1000" });
  let host: TestClient;
  let roomCode: string;
  const snapshot = () => JSON.stringify(server().server.realtime.hub.snapshot(roomCode));
  beforeEach(async () => {
    host = await server().connectClient();
    roomCode = expectOk(await send(host, "room:create", { nickname: "Host" })).room.code;
  });

  it("answers wrong types, missing fields and extra keys with invalid_payload and changes nothing", async () => {
    const before = snapshot();
    const attacker = await server().connectClient();
    const bad: [string, unknown][] = [
      ["room:join", { roomCode, nickname: 12 }],
      ["room:join", { roomCode }],
      ["room:join", { roomCode, nickname: "x", isHost: true }],
      ["room:join", JSON.parse(`{"roomCode":"${roomCode}","nickname":"x","__proto__":{"isHost":true}}`)],
      ["room:join", [roomCode, "x"]],
      ["room:join", null],
      ["game:start", { force: true }],
      ["preload:progress", { percent: "50", status: "loading" }],
      ["game:start", { testPlaylist: "all-models", playlist: {} }],
    ];
    for (const [event, payload] of bad) {
      const answer = await sendRaw(attacker, event, payload);
      expect(answer, `${event} ${JSON.stringify(payload)}`).toMatchObject({ ok: false, code: "invalid_payload" });
      expect(typeof (answer as { message: unknown }).message).toBe("string");
    }
    expect(snapshot()).toBe(before);
  });

  it("answers unknown events with unknown_event", async () => {
    const before = snapshot();
    expect(await sendRaw(host, "room:destroy", { roomCode })).toMatchObject({ ok: false, code: "unknown_event" });
    expect(await sendRaw(host, "constructor", {})).toMatchObject({ ok: false, code: "unknown_event" });
    expect(snapshot()).toBe(before);
  });

  it("answers payloads over the per-event cap with payload_too_large", async () => {
    const before = snapshot();
    const answer = await sendRaw(host, "room:join", { roomCode, nickname: "x".repeat(8_000) });
    expect(answer).toMatchObject({ ok: false, code: "payload_too_large" });
    expect(snapshot()).toBe(before);
  });

  it("drops a connection whose message exceeds maxHttpBufferSize, leaving the room untouched", async () => {
    const before = snapshot();
    const attacker = await server().connectClient();
    const closed = new Promise<string>((resolve) => attacker.once("disconnect", resolve));
    emitRaw(attacker, "room:join", { roomCode, nickname: "x".repeat(MAX_SOCKET_MESSAGE_BYTES * 2) });
    expect(await closed).toMatch(/transport/);
    expect(snapshot()).toBe(before);
    // The server is still serving everyone else.
    expect(await send(host, "room:peek", { roomCode })).toMatchObject({ ok: true, memberCount: 1 });
  });

  it("rate-limits a flooding socket with rate_limited answers", async () => {
    const flooder = await server().connectClient();
    const answers = await Promise.all(Array.from({ length: 40 }, () => sendRaw(flooder, "game:startEarly", {})));
    const codes = answers.map((answer) => (answer as { code: string }).code);
    expect(codes.filter((code) => code === "rate_limited").length).toBeGreaterThanOrEqual(20);
    expect(codes.filter((code) => code === "not_in_room").length).toBeLessThanOrEqual(20);
    // The host's own socket has its own budget.
    expect(await send(host, "room:peek", { roomCode })).toMatchObject({ ok: true });
  });

  it("requires an acknowledgement callback", async () => {
    const before = snapshot();
    emitRaw(host, "room:leave", {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(snapshot()).toBe(before);
  });
});

describe("join attempts per address", () => {
  const server = useTestServer({ JOIN_RATE_PER_MINUTE: "8", TRUST_PROXY: "true" });

  it("are limited per client address, across connections", async () => {
    // The proxy (TRUST_PROXY=true: one hop) appends the address it saw; the client wrote what precedes it.
    const proxied = (address: string) => server().connectClient({ headers: { "x-forwarded-for": `10.0.0.1, ${address}` } });
    const codes: string[] = [];
    // Reconnecting does not reset the budget: it belongs to the address.
    for (let attempt = 0; attempt < 10; attempt++) {
      const guesser = await proxied("198.51.100.7");
      const answer = await send(guesser, "room:join", { roomCode: "ZZZZZZZ", nickname: "guess" });
      codes.push(answer.ok ? "ok" : answer.code);
      guesser.disconnect();
    }
    expect(codes).toEqual([...Array<string>(8).fill("room_not_found"), "too_many_joins", "too_many_joins"]);
    // Another address is unaffected.
    const other = await proxied("198.51.100.8");
    expect(await send(other, "room:create", { nickname: "Other" })).toMatchObject({ ok: true });
  });
});
