import { describe, expect, it } from "vitest";
import { DEFAULT_PLAYLIST } from "@/core/playlist";
import { ROOM_CODE_LENGTH } from "@/core/roomCode";
import { expectOk, nextRoomState, send, sendRaw, useTestServer } from "./support";

describe("rooms over a real Socket.IO server", () => {
  // One server for the file (starting the embedded database is the slow part); every test makes its own room.
  const server = useTestServer({ LEAVE_GRACE_MS: "200", ROOM_MAX_MEMBERS: "3" });

  it("creates a room and lets friends join, everyone seeing every member", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Mina" }));
    expect(created.room.code).toHaveLength(ROOM_CODE_LENGTH);
    expect(created.room.members).toMatchObject([{ nickname: "Mina", isHost: true }]);

    const friend = await server().connectClient();
    const hostSees = nextRoomState(host, (room) => room.members.length === 2);
    // Lower case and a dash: entry is case-insensitive.
    const code = created.room.code.toLowerCase();
    const joined = expectOk(await send(friend, "room:join", { roomCode: `${code.slice(0, 3)}-${code.slice(3)}`, nickname: "Mina" }));
    expect(joined.room.members.map((member) => member.nickname)).toEqual(["Mina", "Mina 2"]);
    expect((await hostSees).members.map((member) => member.nickname)).toEqual(["Mina", "Mina 2"]);
  });

  it("says clearly when a room is unknown or full", async () => {
    const host = await server().connectClient();
    const { room } = expectOk(await send(host, "room:create", { nickname: "Host" }));
    expect(await send(await server().connectClient(), "room:join", { roomCode: "ZZZZZZZ", nickname: "x" })).toMatchObject({
      ok: false,
      code: "room_not_found",
    });
    expectOk(await send(await server().connectClient(), "room:join", { roomCode: room.code, nickname: "B" }));
    expectOk(await send(await server().connectClient(), "room:join", { roomCode: room.code, nickname: "C" }));
    const fourth = await server().connectClient();
    expect(await send(fourth, "room:peek", { roomCode: room.code })).toMatchObject({ ok: true, memberCount: 3, maxMembers: 3 });
    expect(await send(fourth, "room:join", { roomCode: room.code, nickname: "D" })).toMatchObject({ ok: false, code: "room_full" });
    expect(server().server.realtime.hub.snapshot(room.code)?.members).toHaveLength(3);
  });

  it("hands the host seat over when the host leaves, and forgets empty rooms", async () => {
    const host = await server().connectClient();
    const { room } = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const second = await server().connectClient();
    const secondJoin = expectOk(await send(second, "room:join", { roomCode: room.code, nickname: "Second" }));
    const third = await server().connectClient();
    expectOk(await send(third, "room:join", { roomCode: room.code, nickname: "Third" }));

    const thirdSees = nextRoomState(third, (snapshot) => snapshot.members.length === 2);
    expectOk(await send(host, "room:leave", {}));
    const after = await thirdSees;
    expect(after.hostId).toBe(secondJoin.playerId);
    expect(after.members.find((member) => member.isHost)?.nickname).toBe("Second");

    expectOk(await send(second, "room:leave", {}));
    expectOk(await send(third, "room:leave", {}));
    expect(server().server.realtime.hub.snapshot(room.code)).toBeNull();
  });

  it("keeps a closed tab's seat for the grace period, then removes it for the others", async () => {
    const host = await server().connectClient();
    const { room } = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const friend = await server().connectClient();
    expectOk(await send(friend, "room:join", { roomCode: room.code, nickname: "Friend" }));

    const away = nextRoomState(host, (snapshot) => snapshot.members.some((member) => !member.connected));
    friend.disconnect();
    expect((await away).members).toHaveLength(2);
    const gone = await nextRoomState(host, (snapshot) => snapshot.members.length === 1);
    expect(gone.members[0]?.nickname).toBe("Host");
  });

  it("gives a reloaded tab its seat back with the session token", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const friend = await server().connectClient();
    const joined = expectOk(await send(friend, "room:join", { roomCode: created.room.code, nickname: "Friend" }));
    friend.disconnect();

    const reloaded = await server().connectClient();
    const resumed = expectOk(await send(reloaded, "room:join", { roomCode: created.room.code, nickname: "ignored", sessionToken: joined.sessionToken }));
    expect(resumed.playerId).toBe(joined.playerId);
    expect(resumed.room.members.map((member) => [member.nickname, member.connected])).toEqual([
      ["Host", true],
      ["Friend", true],
    ]);
    // Past the grace period the seat is still there: the timer was cancelled.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server().server.realtime.hub.snapshot(created.room.code)?.members).toHaveLength(2);
  });

  it("lets only the host change the phase", async () => {
    const host = await server().connectClient();
    const { room } = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const friend = await server().connectClient();
    expectOk(await send(friend, "room:join", { roomCode: room.code, nickname: "Friend" }));
    expect(await send(friend, "game:start", { playlist: DEFAULT_PLAYLIST })).toMatchObject({ ok: false, code: "not_host" });
    expect(server().server.realtime.hub.snapshot(room.code)?.phase).toBe("chatting");
    const friendSees = nextRoomState(friend, (snapshot) => snapshot.phase === "preloading");
    expectOk(await send(host, "game:start", { playlist: DEFAULT_PLAYLIST }));
    expect((await friendSees).phase).toBe("preloading");
  });

  it("refuses events from a socket that is not in a room", async () => {
    const stranger = await server().connectClient();
    expect(await send(stranger, "game:start", { playlist: DEFAULT_PLAYLIST })).toMatchObject({ ok: false, code: "not_in_room" });
    expect(await sendRaw(stranger, "room:leave", {})).toMatchObject({ ok: false, code: "not_in_room" });
  });
});
