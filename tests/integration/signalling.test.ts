import { describe, expect, it } from "vitest";
import type { ServerPayload } from "@/core/protocol";
import { expectOk, send, sendRaw, useTestServer, type TestClient } from "./support";

function nextSignal(client: TestClient, timeoutMs = 1500): Promise<ServerPayload<"rtc:signal"> | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off("rtc:signal", listener);
      resolve(null);
    }, timeoutMs);
    const listener = (signal: ServerPayload<"rtc:signal">) => {
      clearTimeout(timer);
      client.off("rtc:signal", listener);
      resolve(signal);
    };
    client.on("rtc:signal", listener);
  });
}

describe("WebRTC signalling relay", () => {
  const server = useTestServer();

  const offer = { type: "offer" as const, sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n".padEnd(6_000, "a") };

  it("relays a description and candidates to the addressed member only, naming the sender", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const friend = await server().connectClient();
    const joined = expectOk(await send(friend, "room:join", { roomCode: created.room.code, nickname: "Friend" }));
    const bystander = await server().connectClient();
    expectOk(await send(bystander, "room:join", { roomCode: created.room.code, nickname: "Bystander" }));

    const received = nextSignal(friend);
    const overheard = nextSignal(bystander, 500);
    expectOk(await send(host, "rtc:signal", { to: joined.playerId, description: offer }));
    expect(await received).toEqual({ from: created.playerId, description: offer });
    expect(await overheard).toBeNull();

    const candidate = { candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    const receivedCandidate = nextSignal(host);
    expectOk(await send(friend, "rtc:signal", { to: created.playerId, candidate }));
    expect(await receivedCandidate).toEqual({ from: joined.playerId, candidate });
  });

  it("refuses to relay to another room's member, to a non-member, or from outside a room", async () => {
    const hostA = await server().connectClient();
    expectOk(await send(hostA, "room:create", { nickname: "A" }));
    const hostB = await server().connectClient();
    const roomB = expectOk(await send(hostB, "room:create", { nickname: "B" }));

    const leaked = nextSignal(hostB, 500);
    expect(await send(hostA, "rtc:signal", { to: roomB.playerId, description: offer })).toMatchObject({ ok: false, code: "not_in_room" });
    expect(await send(hostA, "rtc:signal", { to: "no-such-player", description: offer })).toMatchObject({ ok: false, code: "not_in_room" });
    const outsider = await server().connectClient();
    expect(await send(outsider, "rtc:signal", { to: roomB.playerId, description: offer })).toMatchObject({ ok: false, code: "not_in_room" });
    expect(await leaked).toBeNull();
  });

  it("validates signalling payloads at the boundary", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    for (const bad of [
      { to: created.playerId },
      { to: created.playerId, description: { type: "hack", sdp: "x" } },
      { to: created.playerId, description: { type: "offer", sdp: 5 } },
      { to: created.playerId, candidate: { candidate: "x".repeat(2_000) } },
      { to: created.playerId, description: offer, extra: true },
    ]) {
      expect(await sendRaw(host, "rtc:signal", bad), JSON.stringify(bad).slice(0, 80)).toMatchObject({ ok: false, code: "invalid_payload" });
    }
    expect(await sendRaw(host, "rtc:signal", { to: created.playerId, description: { type: "offer", sdp: "x".repeat(13_000) } })).toMatchObject({
      ok: false,
    });
  });

  it("shows a member's microphone and camera switches to the room", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    expect(created.room.members[0]?.media).toEqual({ audio: true, video: true });
    expectOk(await send(host, "call:media", { audio: false, video: true }));
    expect(server().server.realtime.hub.snapshot(created.room.code)?.members[0]?.media).toEqual({ audio: false, video: true });
  });

  it("tells friends when a member's upload is too slow for video, and when it is not any more", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const media = () => server().server.realtime.hub.snapshot(created.room.code)?.members[0]?.media;
    expectOk(await send(host, "call:media", { audio: true, video: true, slowUplink: true }));
    expect(media()).toEqual({ audio: true, video: true, slowUplink: true });
    expectOk(await send(host, "call:media", { audio: true, video: true }));
    expect(media()).toEqual({ audio: true, video: true });
    // Not a boolean: refused at the boundary, the member's state unchanged.
    const refused = await send(host, "call:media", { audio: true, video: true, slowUplink: "yes" } as never);
    expect(refused.ok).toBe(false);
    expect(media()).toEqual({ audio: true, video: true });
  });
});
