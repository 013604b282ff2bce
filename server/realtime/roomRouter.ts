/**
 * Runs each client event in the process that owns its room. One process (LocalPresence): every
 * event runs here. Several (RedisPresence): an event for a room another process owns is handed
 * to that owner, which applies the pure machine and broadcasts through the Socket.IO Redis
 * adapter; the socket itself stays here and is joined to the room's channel through the adapter.
 * Why rooms are pinned instead of shared: docs/scale-out.md.
 */
import type { Logger } from "pino";
import { z } from "zod";
import {
  isClientEventName,
  type Ack,
  isLiveEventName,
  parseClientPayload,
  parseLivePayload,
  roomCodeSchema,
  type ClientEventName,
  type ClientPayload,
  type ErrorAck,
  type LiveEventName,
  type LivePayload,
} from "@/core/protocol";
import type { ForwardedAnswer, ForwardedEvent, Presence } from "./presence/presence";
import { roomChannel, type PoseServer, type PoseSocket, type RoomHub, type SeatSocket, type SocketData } from "./roomHub";

export interface RoomRouterOptions {
  io: PoseServer;
  hub: RoomHub;
  presence: Presence;
  logger: Logger;
}

/** Not a client event: one process asking the owner about a seat token (LiveKit token route). */
const SESSION_LOOKUP = "session:lookup";
const sessionLookupSchema = z.object({ roomCode: roomCodeSchema, sessionToken: z.string().max(128) });
const sessionMemberSchema = z.object({ playerId: z.string(), roomCode: z.string(), nickname: z.string() });
type SessionMember = z.infer<typeof sessionMemberSchema>;

/** How often a process checks that the remote rooms its sockets sit in still have a live owner. */
const OWNER_CHECK_EVERY_MS = 5_000;
/**
 * How long a live event trusts the last look-up of its room's owner. A room never changes owner
 * (docs/scale-out.md), so this only bounds how long meters go to an owner that has died (they
 * are lost either way); without it every meter from a player on another process cost a Redis GET.
 */
const LIVE_OWNER_CACHE_MS = OWNER_CHECK_EVERY_MS;

export class RoomRouter {
  private ownerCheck: NodeJS.Timeout | undefined;
  private readonly liveOwners = new Map<string, { owner: Promise<string | null>; at: number }>();

  constructor(private readonly options: RoomRouterOptions) {
    const { presence, hub } = options;
    if (!presence.distributed) return;
    presence.serveForwarded((request) => this.runForwarded(request));
    presence.keepRoomsAlive((code) => hub.snapshot(code) !== null);
    this.ownerCheck = setInterval(() => void this.dropRoomsWithoutOwner(), OWNER_CHECK_EVERY_MS);
    this.ownerCheck.unref();
  }

  /** Runs a parsed client event where its room lives and returns the acknowledgement. */
  async dispatch<E extends ClientEventName>(event: E, socket: PoseSocket, payload: ClientPayload<E>, log: Logger): Promise<Ack<E>> {
    const { presence, hub } = this.options;
    if (!presence.distributed) return hub.run(event, socket, payload, log);
    const code = this.roomCodeFor(event, socket, payload);
    const owner = code === null || this.isLocalRoom(code) ? null : await presence.roomOwner(code);
    if (owner === null || owner === presence.serverId) {
      const answer = hub.run(event, socket, payload, log);
      if (event === "room:create" && isOkAnswer(answer)) await this.claimCreatedRoom(socket, log);
      return answer;
    }
    const reply = await presence.forward(owner, { event, payload, socketId: socket.id, data: { ...socket.data } });
    if (!reply) return roomUnavailable();
    socket.data = reply.data;
    // The owner ran the same typed handler (runForwarded): its answer is this event's Ack.
    return reply.answer as Ack<E>;
  }

  /**
   * A live event where its room lives. Locally it runs at once; for a room another process owns
   * it is forwarded without waiting for the answer (the meter is presence: the next sample
   * replaces a lost one).
   */
  dispatchLive(event: LiveEventName, socket: PoseSocket, payload: LivePayload<LiveEventName>, log: Logger): { ok: true } | ErrorAck {
    const { presence, hub } = this.options;
    const code = socket.data.roomCode;
    if (!presence.distributed || !code || this.isLocalRoom(code)) return hub.liveMessage(socket, event, payload);
    const request: ForwardedEvent = { event, payload, socketId: socket.id, data: { ...socket.data } };
    void this.liveOwner(code).then(
      (owner) => {
        if (owner && owner !== presence.serverId) presence.send(owner, request);
      },
      (error: unknown) => log.debug({ err: error, event }, "could not forward a live event"),
    );
    return { ok: true };
  }

  /** A remote room's owner for live events: looked up at most once per LIVE_OWNER_CACHE_MS (one look-up in flight at a time). */
  private liveOwner(code: string): Promise<string | null> {
    const now = Date.now();
    const known = this.liveOwners.get(code);
    if (known && now - known.at < LIVE_OWNER_CACHE_MS) return known.owner;
    const owner = this.options.presence.roomOwner(code);
    this.liveOwners.set(code, { owner, at: now });
    // A failed look-up is not remembered: the next event asks again.
    owner.catch(() => this.liveOwners.delete(code));
    return owner;
  }

  /** A dropped socket: its seat's grace period runs on the room's owner. */
  disconnect(socket: PoseSocket, log: Logger): void {
    const { presence, hub } = this.options;
    const code = socket.data.roomCode;
    if (!presence.distributed || !code || this.isLocalRoom(code)) {
      hub.handleDisconnect(socket, log);
      return;
    }
    const request: ForwardedEvent = { event: "disconnect", payload: null, socketId: socket.id, data: { ...socket.data } };
    void presence.roomOwner(code).then(
      (owner) => (owner && owner !== presence.serverId ? presence.forward(owner, request) : null),
      (error: unknown) => log.error({ err: error }, "could not forward a disconnect"),
    );
  }

  /**
   * Who holds this seat token in the room, asked of the room's owner (the LiveKit token route).
   * `roomCode` is canonical (core/protocol.ts, roomCodeSchema).
   */
  async memberForSession(roomCode: string, sessionToken: string): Promise<SessionMember | null> {
    const { presence, hub } = this.options;
    if (!presence.distributed || !roomCode || this.isLocalRoom(roomCode)) return hub.memberForSession(roomCode, sessionToken);
    const owner = await presence.roomOwner(roomCode);
    if (!owner || owner === presence.serverId) return null;
    const reply = await presence.forward(owner, { event: SESSION_LOOKUP, payload: { roomCode, sessionToken }, socketId: "", data: {} });
    const member = sessionMemberSchema.nullable().safeParse(reply?.answer ?? null);
    return member.success ? member.data : null;
  }

  dispose(): void {
    clearInterval(this.ownerCheck);
  }

  /** The owner's side: the same handlers, with a stand-in for the socket that lives elsewhere. */
  private async runForwarded(request: ForwardedEvent): Promise<ForwardedAnswer> {
    const { io, hub, logger } = this.options;
    const { roomCode, playerId } = request.data;
    // A seat another socket has since taken (a newer tab) is not this socket's any more.
    const holdsSeat = !roomCode || !playerId || hub.memberSocketId(roomCode, playerId) === request.socketId;
    const socket = remoteSeat(io, request.socketId, holdsSeat ? request.data : {});
    // The live lane first, and without a logger of its own: ~10 a second per remote player.
    if (isLiveEventName(request.event)) {
      const parsed = parseLivePayload(request.event, request.payload);
      return { answer: parsed.ok ? hub.liveMessage(socket, request.event, parsed.payload) : parsed, data: socket.data };
    }
    const log = logger.child({
      socketId: request.socketId,
      event: request.event,
      roomCode: request.data.roomCode,
      playerId: request.data.playerId,
      forwarded: true,
    });
    if (request.event === SESSION_LOOKUP) {
      const lookup = sessionLookupSchema.safeParse(request.payload);
      return { answer: lookup.success ? hub.memberForSession(lookup.data.roomCode, lookup.data.sessionToken) : null, data: {} };
    }
    if (request.event === "disconnect") {
      hub.handleDisconnect(socket, log);
      return { answer: null, data: socket.data };
    }
    if (!isClientEventName(request.event)) {
      return { answer: { ok: false, code: "unknown_event", message: "Unknown event." } satisfies ErrorAck, data: socket.data };
    }
    // Checked again here: another process's message is input like any other.
    const parsed = parseClientPayload(request.event, request.payload);
    if (!parsed.ok) return { answer: parsed, data: socket.data };
    const answer = hub.run(request.event, socket, parsed.payload, log);
    return { answer, data: socket.data };
  }

  private roomCodeFor(event: ClientEventName, socket: PoseSocket, payload: unknown): string | null {
    switch (event) {
      case "room:create":
      case "clock:ping":
        return null;
      case "room:join":
      case "room:peek": {
        // Canonical since parsing (roomCodeSchema); "" for a code no room can have.
        const code = payload && typeof payload === "object" && "roomCode" in payload ? payload.roomCode : undefined;
        return typeof code === "string" && code !== "" ? code : null;
      }
      default:
        return socket.data.roomCode ?? null;
    }
  }

  private isLocalRoom(code: string): boolean {
    return this.options.hub.snapshot(code) !== null;
  }

  private async claimCreatedRoom(socket: PoseSocket, log: Logger): Promise<void> {
    const code = socket.data.roomCode;
    if (!code || !this.isLocalRoom(code)) return;
    try {
      // Codes carry 34.7 random bits: a clash with another process's live room is not expected in practice.
      if (!(await this.options.presence.claimRoom(code))) log.error({ roomCode: code }, "room code already owned by another process");
    } catch (error) {
      log.error({ err: error, roomCode: code }, "could not record the room's owner: other processes cannot reach it");
    }
  }

  /**
   * Sockets here sitting in a room whose owner stopped refreshing its claim (the owner process
   * died or shut down): the room is gone, so they are told, like a player removed from a room.
   */
  private async dropRoomsWithoutOwner(): Promise<void> {
    const { io, presence, logger } = this.options;
    const now = Date.now();
    for (const [code, known] of this.liveOwners) if (now - known.at >= LIVE_OWNER_CACHE_MS) this.liveOwners.delete(code);
    const byRoom = new Map<string, PoseSocket[]>();
    for (const socket of io.of("/").sockets.values()) {
      const code = socket.data.roomCode;
      if (!code || this.isLocalRoom(code)) continue;
      byRoom.set(code, [...(byRoom.get(code) ?? []), socket]);
    }
    for (const [code, sockets] of byRoom) {
      try {
        if ((await presence.roomOwner(code)) !== null) continue;
      } catch (error) {
        logger.error({ err: error }, "owner check failed");
        return;
      }
      logger.warn({ roomCode: code, sockets: sockets.length }, "room's owning process is gone: removing its players here");
      for (const socket of sockets) {
        socket.data = {};
        void socket.leave(roomChannel(code));
        socket.emit("room:removed", { code: "room_not_found" });
      }
    }
  }
}

/** A socket on another process, as the hub sees it: joins and leaves travel through the adapter. */
function remoteSeat(io: PoseServer, socketId: string, data: SocketData): SeatSocket {
  return {
    id: socketId,
    data: { ...data },
    join: (rooms) => io.in(socketId).socketsJoin(rooms),
    leave: (room) => io.in(socketId).socketsLeave(room),
  };
}

function isOkAnswer(answer: unknown): boolean {
  return typeof answer === "object" && answer !== null && "ok" in answer && answer.ok === true;
}

function roomUnavailable(): ErrorAck {
  return { ok: false, code: "room_not_found", message: "The room's server did not answer: the room is gone." };
}
