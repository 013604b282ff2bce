import { describe, expect, it } from "vitest";
import { NICKNAME_MAX_INPUT_UNITS } from "@/core/nickname";
import { clientEventNames, clientEvents, isClientEventName, parseClientPayload, roomSnapshotSchema } from "@/core/protocol";
import { isWellFormedText, toWellFormedText, wellFormedDeep } from "@/core/text";

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
    // "More time": only the paces the game offers, with either kind of playlist.
    expect(parseClientPayload("game:start", { playlist, timeScale: 1.5 }).ok).toBe(true);
    expect(parseClientPayload("game:start", { testPlaylist: "party", timeScale: 2 }).ok).toBe(true);
    for (const timeScale of [3, 0.5, "2", null, 1.25]) {
      expect(parseClientPayload("game:start", { playlist, timeScale }).ok, `timeScale ${String(timeScale)}`).toBe(false);
    }
    expect(parseClientPayload("preload:progress", { percent: 101, status: "loading" }).ok).toBe(false);
    expect(parseClientPayload("preload:progress", { percent: 50.5, status: "loading" }).ok).toBe(false);
    // The framing check's outcome only: a known status, nothing else about the picture.
    expect(parseClientPayload("preload:progress", { percent: 100, status: "ready", framing: "adjusting" }).ok).toBe(true);
    expect(parseClientPayload("preload:progress", { percent: 100, status: "ready", framing: "perfect" }).ok).toBe(false);
    expect(parseClientPayload("preload:progress", { percent: 100, status: "ready", framing: "ok", joints: [1, 2] }).ok).toBe(false);
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
    expect(parseClientPayload("room:create", { nickname: "x".repeat(NICKNAME_MAX_INPUT_UNITS + 1) }).ok).toBe(false);
    // 20 family emoji with skin tones are 20 graphemes but 380 UTF-16 units: the raw cap lets them in.
    expect(parseClientPayload("room:create", { nickname: "👨🏻‍👩🏻‍👧🏻‍👦🏻".repeat(20) }).ok).toBe(true);
    expect(parseClientPayload("room:join", { roomCode: "A".repeat(100), nickname: "x" }).ok).toBe(false);
  });

  it('normalise a room code once, as typed (case, spaces, dashes), or to "" when no room can have it', () => {
    const typed = parseClientPayload("room:join", { roomCode: " abc-d ef2 ", nickname: "x" });
    expect(typed.ok && typed.payload.roomCode).toBe("ABCDEF2");
    const peek = parseClientPayload("room:peek", { roomCode: "abcdef2" });
    expect(peek.ok && peek.payload.roomCode).toBe("ABCDEF2");
    // 0, O, 1, I and L are not in the alphabet; too short or too long is no code either.
    for (const impossible of ["ABCDEF0", "ABCDEF", "ABCDEFGH", ""]) {
      const parsed = parseClientPayload("room:peek", { roomCode: impossible });
      expect(parsed.ok && parsed.payload.roomCode, impossible).toBe("");
    }
    expect(parseClientPayload("room:peek", { roomCode: "x".repeat(15) }).ok).toBe(false);
  });

  it("make every string field well-formed: lone surrogates become U+FFFD, pairs stay", () => {
    expect(parseClientPayload("room:create", { nickname: "a\uD800b" })).toEqual({ ok: true, payload: { nickname: "a\uFFFDb" } });
    expect(parseClientPayload("room:create", { nickname: "\uDC00😀\uD83D" })).toEqual({ ok: true, payload: { nickname: "\uFFFD😀\uFFFD" } });
    // A room code is made well-formed, then canonical: one with U+FFFD in it can name no room.
    const joined = parseClientPayload("room:join", { roomCode: "ABC\uDFFFDEFG", nickname: "x" });
    expect(joined.ok && joined.payload.roomCode).toBe("");
    // Nested and optional fields too (signalling relays them verbatim to another member).
    const signal = parseClientPayload("rtc:signal", {
      to: "p\uD800",
      description: { type: "offer", sdp: "v=0\uDBFF" },
      candidate: { candidate: "c\uD800", sdpMid: "0\uDC00", usernameFragment: "u\uD801" },
    });
    expect(signal.ok).toBe(true);
    const strings = JSON.stringify(signal);
    expect(strings).not.toMatch(/\\ud[89a-f]/i);
    expect(signal.ok && signal.payload).toMatchObject({
      to: "p\uFFFD",
      description: { sdp: "v=0\uFFFD" },
      candidate: { candidate: "c\uFFFD", sdpMid: "0\uFFFD", usernameFragment: "u\uFFFD" },
    });
    // An unknown key with a lone surrogate is still an unknown key.
    expect(parseClientPayload("room:create", { nickname: "x", "k\uD800": 1 }).ok).toBe(false);
  });

  it("well-formed text helpers", () => {
    expect(isWellFormedText("a👍b")).toBe(true);
    expect(isWellFormedText("a\uD83Db")).toBe(false);
    expect(toWellFormedText("\uD83D\uDC4D\uD83D")).toBe("👍\uFFFD");
    const value = JSON.parse('{"a":["\\ud800",{"b":"\\udc00x"}],"n":1,"t":true,"z":null}') as unknown;
    expect(wellFormedDeep(value)).toEqual({ a: ["\uFFFD", { b: "\uFFFDx" }], n: 1, t: true, z: null });
    const date = new Date(0);
    expect(wellFormedDeep({ date }).date).toBe(date);
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
        {
          id: "p1",
          nickname: "Mina",
          connected: true,
          preload: { percent: 0, status: "idle" },
          role: "player",
          paused: false,
          isHost: true,
          media: { audio: true, video: false },
        },
      ],
      game: null,
      calledOff: null,
    };
    expect(roomSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(roomSnapshotSchema.safeParse({ ...snapshot, phase: "dancing" }).success).toBe(false);
    // A lobby that ended without a game says why, with a reason the clients know.
    const calledOff = { ...snapshot, calledOff: { reason: "nobody_ready", at: 1_000 } };
    expect(roomSnapshotSchema.parse(calledOff)).toEqual(calledOff);
    expect(roomSnapshotSchema.safeParse({ ...snapshot, calledOff: { reason: "bored", at: 1_000 } }).success).toBe(false);
  });
});
