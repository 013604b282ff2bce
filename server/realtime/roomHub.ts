/**
 * Holds the live rooms of this process (server/realtime/gameRoom.ts) and ties sockets to them:
 * which room and seat a socket speaks for (socket.data), creating, joining and leaving rooms,
 * and handing each room event to the member's room. The rooms reach their sockets through the
 * RoomTransport made here; Socket.IO stays on this side.
 */
import { randomUUID } from "node:crypto";
import type { Server, Socket } from "socket.io";
import type { Logger } from "pino";
import { createRoom, type RoomState } from "@/core/room";
import { generateRoomCode } from "@/core/roomCode";
import type {
  Ack,
  ClientEventName,
  ClientPayload,
  ClientToServerEvents,
  ErrorAck,
  JoinedRoom,
  LiveEventName,
  LivePayload,
  RoomSnapshot,
  ServerToClientEvents,
} from "@/core/protocol";
import type { RealtimeMetrics } from "../observability/metrics";
import { GameRoom, type MatchSaving, type RoomEventName, type RoomTransport } from "./gameRoom";

type Room = GameRoom<SeatSocket>;

export type { MatchSaving, RoomEventName } from "./gameRoom";
export { toRoomSnapshot } from "./gameRoom";

export interface SocketData {
  roomCode?: string;
  playerId?: string;
}
export type PoseServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type PoseSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
/** What the hub needs of a socket; with REDIS_URL it may live in another process (see roomRouter.ts). */
export type SeatSocket = Pick<PoseSocket, "id" | "data" | "join" | "leave">;

export interface RoomHubOptions {
  io: PoseServer;
  logger: Logger;
  maxMembers: number;
  leaveGraceMs: number;
  silentAfterMs: number;
  preloadTimeoutMs: number;
  allowTestPlaylists: boolean;
  /** Saves finished matches; "saving" when the database refused and it is kept and retried (pendingMatches.ts). */
  matches: MatchSaving;
  /** Scoreboard latency and refused awards; omitted in tests that do not look at metrics. */
  metrics?: Pick<RealtimeMetrics, "scoreboardSent" | "awardRefused">;
}

export type HubAnswer<T> = ({ ok: true } & T) | ErrorAck;
type Empty = Record<never, never>;

export function roomChannel(code: string): string {
  return `room:${code}`;
}

export class RoomHub {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly options: RoomHubOptions) {
    options.matches.onSaved((matchId) => {
      for (const room of this.rooms.values()) room.matchSaved(matchId);
    });
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  get memberCount(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.state.members.length;
    return count;
  }

  snapshot(code: string): RoomSnapshot | null {
    return this.rooms.get(code)?.snapshot() ?? null;
  }

  /** The live room object (tests and tools). */
  room(code: string): Room | undefined {
    return this.rooms.get(code);
  }

  /** `roomCode` is canonical (core/protocol.ts, roomCodeSchema), as in every method here. */
  peekRoom(roomCode: string): HubAnswer<{ code: string; memberCount: number; maxMembers: number }> {
    const room = this.rooms.get(roomCode);
    if (!room) return roomNotFound();
    return { ok: true, code: room.code, memberCount: room.state.members.length, maxMembers: room.state.maxMembers };
  }

  createRoom(socket: SeatSocket, nickname: string, log: Logger): HubAnswer<JoinedRoom> {
    if (socket.data.roomCode) return alreadyInRoom();
    let code = generateRoomCode();
    while (this.rooms.has(code)) code = generateRoomCode();
    const playerId = randomUUID();
    const created = createRoom({ code, maxMembers: this.options.maxMembers, host: { playerId, nickname } });
    if (!created.ok) return { ok: false, ...created.error };
    const room = this.openRoom(created.state);
    log.info({ roomCode: code, playerId }, "room created");
    return { ok: true, ...room.onCreate(socket, playerId, created.effects, log) };
  }

  joinRoom(socket: SeatSocket, request: { roomCode: string; nickname: string; sessionToken?: string }, log: Logger): HubAnswer<JoinedRoom> {
    const room = this.rooms.get(request.roomCode);
    if (!room) return roomNotFound();
    const resumedId = request.sessionToken ? room.memberForToken(request.sessionToken) : undefined;
    if (socket.data.roomCode && (!resumedId || socket.data.playerId !== resumedId)) return alreadyInRoom();
    return room.onJoin(socket, request, log);
  }

  leaveRoom(socket: SeatSocket, log: Logger): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const room = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!room || !playerId) return notInRoom();
    void socket.leave(roomChannel(room.code));
    socket.data = {};
    return room.onLeave(playerId, socket.id, true, log);
  }

  /**
   * Runs one parsed client event in this process: joining, peeking and leaving here, the clock's
   * ping at once, and everything else in the member's room (its `messages`). The router calls
   * this for events whose room lives here, whether the socket does or not.
   */
  run<E extends ClientEventName>(event: E, socket: SeatSocket, payload: ClientPayload<E>, log: Logger): Ack<E> {
    // The payload's type follows the event's; TypeScript cannot narrow a generic, hence the casts.
    const answer = ((): Ack<ClientEventName> => {
      switch (event) {
        case "room:create":
          return this.createRoom(socket, (payload as ClientPayload<"room:create">).nickname, log);
        case "room:join":
          return this.joinRoom(socket, payload as ClientPayload<"room:join">, log);
        case "room:peek":
          return this.peekRoom((payload as ClientPayload<"room:peek">).roomCode);
        case "room:leave":
          return this.leaveRoom(socket, log);
        case "clock:ping":
          return { ok: true, serverTime: Date.now() };
        default:
          return this.roomMessage(socket, event, payload as ClientPayload<RoomEventName>, log);
      }
    })();
    return answer;
  }

  /** One of the member's room events (everything but joining and leaving): its room handles it. */
  roomMessage<E extends RoomEventName>(socket: SeatSocket, event: E, payload: ClientPayload<E>, log: Logger): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const room = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!room || !playerId) return notInRoom();
    const handler = room.messages[event].handle as (playerId: string, payload: ClientPayload<E>, log: Logger) => HubAnswer<Empty>;
    room.heard(playerId);
    return handler(playerId, payload, log);
  }

  /** A live event (a meter sample) for the member's room; never acked. */
  liveMessage<E extends LiveEventName>(socket: SeatSocket, event: E, payload: LivePayload<E>): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const room = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!room || !playerId) return notInRoom();
    room.heard(playerId);
    const handler = room.live[event].handle as (playerId: string, payload: LivePayload<E>) => HubAnswer<Empty>;
    return handler(playerId, payload);
  }

  /** A dropped connection keeps its seat for the grace period, so a reload or a short network loss is invisible. */
  handleDisconnect(socket: SeatSocket, log: Logger): void {
    const { roomCode, playerId } = socket.data;
    const room = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!room || !playerId) return;
    room.onLeave(playerId, socket.id, false, log);
  }

  /**
   * Who holds this session token in this room, if anyone: HTTP routes (the LiveKit token)
   * use it to prove membership without a socket. Reconnecting members still count.
   */
  memberForSession(roomCode: string, sessionToken: string): { playerId: string; roomCode: string; nickname: string } | null {
    const room = this.rooms.get(roomCode);
    const playerId = room?.memberForToken(sessionToken);
    const member = room && playerId ? room.state.members.find((candidate) => candidate.id === playerId) : undefined;
    return room && playerId && member ? { playerId, roomCode: room.code, nickname: member.nickname } : null;
  }

  /** The socket currently speaking for a member, if connected. */
  memberSocketId(roomCode: string, playerId: string): string | undefined {
    return this.rooms.get(roomCode)?.socketOf(playerId);
  }

  /** Every room with its seats' tokens, as a drain hands them to the next start (roomCarryOver.ts). */
  exportRooms(): { state: RoomState; sessionTokens: Record<string, string> }[] {
    return [...this.rooms.values()].map((room) => ({ state: room.state, sessionTokens: room.sessionTokens() }));
  }

  /**
   * A room carried over a restart: every member is disconnected and keeps the seat for the
   * grace period, to be reclaimed with the same session token as after a network drop.
   */
  restoreRoom(state: RoomState, sessionTokens: Record<string, string>): void {
    if (this.rooms.has(state.code)) return;
    this.openRoom(state).restoreSeats(sessionTokens);
  }

  /** Stops every timer of every room; used on shutdown so the process can exit. */
  dispose(): void {
    for (const room of [...this.rooms.values()]) room.onDispose();
    this.rooms.clear();
  }

  private openRoom(state: RoomState): Room {
    const room: Room = new GameRoom(state, this.transportFor(state.code), {
      logger: this.options.logger,
      leaveGraceMs: this.options.leaveGraceMs,
      silentAfterMs: this.options.silentAfterMs,
      preloadTimeoutMs: this.options.preloadTimeoutMs,
      allowTestPlaylists: this.options.allowTestPlaylists,
      matches: this.options.matches,
      ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
      onDispose: (disposed) => {
        if (this.rooms.get(disposed.code) === disposed) this.rooms.delete(disposed.code);
      },
    });
    this.rooms.set(state.code, room);
    return room;
  }

  /** The room's way to its sockets: the joining one (maybe a stand-in for another process's), or any by id. */
  private transportFor(code: string): RoomTransport<SeatSocket> {
    const { io } = this.options;
    const channel = roomChannel(code);
    return {
      admit: (socket, playerId) => {
        socket.data = { roomCode: code, playerId };
        void socket.join(channel);
      },
      evict: (socketId, playerId, removed) => {
        const local = io.sockets.sockets.get(socketId);
        if (local) {
          if (local.data.playerId !== playerId || local.data.roomCode !== code) {
            if (!removed) return;
          } else {
            local.data = {};
          }
          void local.leave(channel);
          if (removed) local.emit("room:removed", { code: removed });
        } else {
          // On another process (REDIS_URL): its stale seat is refused there by the router.
          io.in(socketId).socketsLeave(channel);
          if (removed) io.to(socketId).emit("room:removed", { code: removed });
        }
      },
      sendTo: (socketId, event, payload) => {
        (io.to(socketId).emit as (event: string, payload: unknown) => boolean)(event, payload);
      },
      broadcast: (event, payload) => {
        (io.to(channel).emit as (event: string, payload: unknown) => boolean)(event, payload);
      },
    };
  }
}

function alreadyInRoom(): ErrorAck {
  return { ok: false, code: "already_in_room", message: "This connection is already in a room: leave it first." };
}

function roomNotFound(): ErrorAck {
  return { ok: false, code: "room_not_found", message: "There is no room with that code." };
}

function notInRoom(): ErrorAck {
  return { ok: false, code: "not_in_room", message: "Join a room first." };
}
