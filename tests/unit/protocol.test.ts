import { describe, expect, it } from "vitest";
import { clientEventNames, clientEvents, isClientEventName, parseClientPayload, roomSnapshotSchema } from "@/core/protocol";

describe("protocol schemas", () => {
  it("accept well-formed payloads", () => {
    expect(parseClientPayload("room:create", { nickname: "Mina" })).toEqual({ ok: true, payload: { nickname: "Mina" } });
    expect(parseClientPayload("room:join", { roomCode: "ABCDEFG", nickname: "Jun" }).ok).toBe(true);
    expect(parseClientPayload("preload:progress", { percent: 40, status: "loading" }).ok).toBe(true);
    expect(parseClientPayload("game:start", { testPlaylist: "all-models" }).ok).toBe(true);
    expect(
      parseClientPayload("game:start", {
        playlist: { rounds: 5, secondsPerRound: 10, difficulty: "normal", roundKinds: ["pose", "hand"], poseQuality: "lite" },
      }).ok,
    ).toBe(true);
  });

  it("keep playlists within the host's ranges", () => {
    const playlist = { rounds: 5, secondsPerRound: 10, difficulty: "normal", roundKinds: ["pose"], poseQuality: "lite" };
    for (const bad of [
      { ...playlist, rounds: 2 },
      { ...playlist, rounds: 13 },
      { ...playlist, secondsPerRound: 4 },
      { ...playlist, secondsPerRound: 16 },
      { ...playlist, roundKinds: [] },
      { ...playlist, roundKinds: ["pose", "pose"] },
      { ...playlist, roundKinds: ["dance"] },
    ]) {
      expect(parseClientPayload("game:start", { playlist: bad }).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(parseClientPayload("game:start", {}).ok).toBe(false);
    expect(parseClientPayload("preload:progress", { percent: 101, status: "loading" }).ok).toBe(false);
    expect(parseClientPayload("preload:progress", { percent: 50.5, status: "loading" }).ok).toBe(false);
  });

  it("reject wrong types and missing fields, naming the field", () => {
    const wrongType = parseClientPayload("room:create", { nickname: 42 });
    expect(wrongType).toMatchObject({ ok: false, code: "invalid_payload" });
    if (!wrongType.ok) expect(wrongType.message).toContain("nickname");
    expect(parseClientPayload("room:join", { nickname: "Jun" })).toMatchObject({ ok: false, code: "invalid_payload" });
    expect(parseClientPayload("room:create", null)).toMatchObject({ ok: false, code: "invalid_payload" });
    expect(parseClientPayload("room:create", "Mina")).toMatchObject({ ok: false, code: "invalid_payload" });
  });

  it("reject unknown keys, including prototype-polluting ones", () => {
    expect(parseClientPayload("room:create", { nickname: "Mina", admin: true }).ok).toBe(false);
    expect(parseClientPayload("room:create", JSON.parse('{"nickname":"Mina","__proto__":{"polluted":1}}')).ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("cap raw string sizes at the boundary", () => {
    expect(parseClientPayload("room:create", { nickname: "x".repeat(65) }).ok).toBe(false);
    expect(parseClientPayload("room:join", { roomCode: "A".repeat(100), nickname: "x" }).ok).toBe(false);
  });

  it("only accept well-formed session tokens", () => {
    expect(parseClientPayload("room:join", { roomCode: "ABCDEFG", nickname: "x", sessionToken: "short" }).ok).toBe(false);
    expect(parseClientPayload("room:join", { roomCode: "ABCDEFG", nickname: "x", sessionToken: "a".repeat(24) }).ok).toBe(true);
  });

  it("know exactly the declared event names", () => {
    expect(clientEventNames).toEqual(Object.keys(clientEvents));
    expect(isClientEventName("room:join")).toBe(true);
    expect(isClientEventName("constructor")).toBe(false);
    expect(isClientEventName("__proto__")).toBe(false);
  });

  it("describe room snapshots strictly", () => {
    const snapshot = {
      code: "ABCDEFG",
      phase: "chatting",
      hostId: "p1",
      maxMembers: 8,
      members: [
        { id: "p1", nickname: "Mina", connected: true, preload: { percent: 0, status: "idle" }, role: "player", paused: false, isHost: true, media: { audio: true, video: false } },
      ],
      game: null,
    };
    expect(roomSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(roomSnapshotSchema.safeParse({ ...snapshot, phase: "dancing" }).success).toBe(false);
  });
});
