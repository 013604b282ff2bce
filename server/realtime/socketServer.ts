/**
 * The Socket.IO adapter: it checks size, rate and schema at the boundary (every event's entry in
 * core/protocol.ts), hands joining and leaving to the RoomHub and every other event to the
 * member's room (its `messages` map, server/realtime/gameRoom.ts), and answers with an ack.
 * No game rule lives here.
 */
import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import {
  MAX_EVENT_PAYLOAD_BYTES,
  MAX_SOCKET_MESSAGE_BYTES,
  clientEventNames,
  eventLimits,
  isClientEventName,
  isLiveEventName,
  liveEventNames,
  parseClientPayload,
  parseLivePayload,
  type Ack,
  type ClientEventName,
  type ErrorAck,
  type LiveEventName,
} from "@/core/protocol";
import type { AppConfig } from "../config";
import { compileTrust } from "../http/clientAddress";
import { noRealtimeMetrics, type RealtimeMetrics, type RejectionReason } from "../observability/metrics";
import { RoomHub, type MatchSaving, type PoseServer } from "./roomHub";
import { LocalPresence } from "./presence/localPresence";
import type { Presence } from "./presence/presence";
import { RoomRouter } from "./roomRouter";
import { createConnectionGuard, type ConnectionGuard } from "./connectionGuard";
import { SocketBudgets } from "./eventBudget";

export interface Realtime {
  io: PoseServer;
  hub: RoomHub;
  /** Runs each event in the process that owns its room (all here without REDIS_URL). */
  router: RoomRouter;
  /** Origin and per-address checks on every new session; tracks open sessions per address. */
  guard: ConnectionGuard;
}

/**
 * A Socket.IO parser module, as `new Server({ parser })` takes it (socket.io-parser's shape).
 * Socket.IO types the option `any`; this keeps it to what a parser must have.
 */
export interface SocketIoParserModule {
  Encoder: new () => { encode(packet: unknown): unknown };
  Decoder: new () => { add(chunk: unknown): void; destroy(): void; on(event: "decoded", listener: (packet: unknown) => void): unknown };
}

/**
 * Wire settings that only the bench changes (bench/server/startGameServer.ts, the comparison's
 * game-server variants), to measure what each costs: never set by configuration, so production
 * always runs Socket.IO's defaults (the JSON parser, no WebSocket compression).
 */
export interface RealtimeWireOptions {
  /** Another parser (e.g. socket.io-msgpack-parser); every client must then use the same one. */
  parser?: SocketIoParserModule;
  /**
   * WebSocket permessage-deflate (engine.io's default: off). On, ws compresses every message the
   * server sends: engine.io's 1 KiB threshold only applies without context takeover, the default.
   */
  perMessageDeflate?: boolean;
}

export function attachRealtime(
  httpServer: HttpServer,
  config: AppConfig,
  logger: Logger,
  matches: MatchSaving,
  metrics: RealtimeMetrics = noRealtimeMetrics,
  presence: Presence = new LocalPresence(),
  wire: RealtimeWireOptions = {},
): Realtime {
  const guard = createConnectionGuard({
    trust: compileTrust(config.TRUST_PROXY),
    allowedOrigins: config.ALLOWED_ORIGINS,
    maxSocketsPerAddress: config.MAX_SOCKETS_PER_ADDRESS,
    metrics,
    logger,
  });
  const io: PoseServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    // Every new session (polling or WebSocket) passes the origin and per-address checks first;
    // a refused one never gets a session id.
    allowRequest: guard.allowRequest,
    serveClient: false,
    // Other upgrade requests (Next's dev hot reload) are routed by the HTTP layer.
    destroyUpgrade: false,
    // A phone that locks its screen often leaves a silent socket behind: notice it within ~30 s
    // (default 45 s) so friends see "reconnecting" while the seat waits out LEAVE_GRACE_MS. The
    // pong is answered on the main thread, which the lobby's warm-up may hold for seconds on a
    // slow phone: 20 s to answer, not less (defaults of PING_INTERVAL_MS and PING_TIMEOUT_MS).
    pingInterval: config.PING_INTERVAL_MS,
    pingTimeout: config.PING_TIMEOUT_MS,
    // With REDIS_URL: broadcasts, joins and per-socket emits reach sockets on every process.
    ...(presence.socketIoAdapter ? { adapter: presence.socketIoAdapter } : {}),
    ...(wire.parser ? { parser: wire.parser } : {}),
    ...(wire.perMessageDeflate ? { perMessageDeflate: true } : {}),
  });
  io.engine.on("connection", (engineSocket: Parameters<ConnectionGuard["track"]>[0]) => guard.track(engineSocket));
  io.engine.on("connection_error", (failure: { code?: number; message?: string; context?: unknown }) => {
    logger.debug({ code: failure.code, reason: failure.message }, "socket.io request refused by engine.io");
  });
  const hub = new RoomHub({
    io,
    logger,
    maxMembers: config.ROOM_MAX_MEMBERS,
    leaveGraceMs: config.LEAVE_GRACE_MS,
    silentAfterMs: config.SILENT_AFTER_MS,
    preloadTimeoutMs: config.PRELOAD_TIMEOUT_MS,
    allowTestPlaylists: config.ALLOW_TEST_PLAYLISTS,
    matches,
    metrics,
  });
  // Per address, across its sockets: rare events, so the asynchronous limiter is fine here.
  const joinLimiter = new RateLimiterMemory({ points: config.JOIN_RATE_PER_MINUTE, duration: 60 });
  // Events with their own budget (progress, signalling, scores, meters) do not eat into the
  // general one. Per socket, checked synchronously (eventBudget.ts).
  const ownRates = new Map<string, number>();
  for (const event of [...clientEventNames, ...liveEventNames]) {
    const { ratePerSecond } = eventLimits(event);
    if (ratePerSecond) ownRates.set(event, ratePerSecond);
  }

  const joinEvents: ReadonlySet<ClientEventName> = new Set(["room:create", "room:join", "room:peek"]);
  const router = new RoomRouter({
    io,
    hub,
    presence,
    logger,
  });

  io.on("connection", (socket) => {
    const address = guard.addressOf(socket.request);
    const socketLog = logger.child({ socketId: socket.id });
    // A child logger per event costs more than the live lane's whole handler: made only when used.
    const eventLog = (event: string) => socketLog.child({ event, roomCode: socket.data.roomCode, playerId: socket.data.playerId });
    socketLog.debug({ address }, "socket connected");
    const budgets = new SocketBudgets(config.EVENT_RATE_PER_SECOND, ownRates);
    const reject = (event: unknown, ack: ((answer: ErrorAck) => void) | undefined, answer: ErrorAck) => {
      eventLog(String(event)).warn({ code: answer.code, reason: answer.message }, "event rejected");
      metrics.eventRejected(rejectionReason(answer.code));
      ack?.(answer);
    };

    // Every packet passes here first, known or not: size, rate and name checks happen before any
    // parsing. Synchronous (only joins wait, for their per-address limiter): it runs for every
    // live meter sample.
    socket.use((packet, next) => {
      const event: unknown = packet[0];
      const last: unknown = packet[packet.length - 1];
      const ack = packet.length > 1 && typeof last === "function" ? (last as (answer: ErrorAck) => void) : undefined;
      const argCount = packet.length - (ack ? 2 : 1);
      const live = typeof event === "string" && isLiveEventName(event);
      const known = live || (typeof event === "string" && isClientEventName(event));
      if (!budgets.take(known ? event : null, performance.now())) {
        return reject(event, ack, { ok: false, code: "rate_limited", message: "Too many events: slow down." });
      }
      if (!known) {
        return reject(event, ack, { ok: false, code: "unknown_event", message: `Unknown event ${JSON.stringify(String(event)).slice(0, 60)}.` });
      }
      if (!ack && !live) return reject(event, ack, { ok: false, code: "invalid_payload", message: "Events must ask for an acknowledgement." });
      const maxBytes = eventLimits(event).maxPayloadBytes ?? MAX_EVENT_PAYLOAD_BYTES;
      if (argCount !== 1 || payloadBytes(packet[1]) > maxBytes) {
        return reject(event, ack, {
          ok: false,
          code: argCount === 1 ? "payload_too_large" : "invalid_payload",
          message: `${event} takes one payload of at most ${maxBytes} bytes.`,
        });
      }
      if (live || !joinEvents.has(event)) return next();
      void consume(joinLimiter, address).then(
        (allowed) =>
          allowed ? next() : reject(event, ack, { ok: false, code: "too_many_joins", message: "Too many join attempts from this address: wait a minute." }),
        () => reject(event, ack, { ok: false, code: "internal_error", message: "Something went wrong on the server." }),
      );
    });

    // Payloads arrive untyped off the wire; handleEvent parses them before anything typed sees them.
    const listen = socket.on.bind(socket) as (
      event: ClientEventName | LiveEventName,
      listener: (rawPayload: unknown, ack: (answer: unknown) => void) => void,
    ) => void;
    for (const event of clientEventNames) {
      listen(event, (rawPayload, ack) => void handleEvent(event, rawPayload, ack));
    }
    for (const event of liveEventNames) {
      listen(event, (rawPayload, ack) => handleLive(event, rawPayload, typeof ack === "function" ? ack : undefined));
    }

    /** Live events: parsed like any other, then handed to the room; nothing is answered unless asked. */
    function handleLive(event: LiveEventName, rawPayload: unknown, ack: ((answer: unknown) => void) | undefined): void {
      const parsed = parseLivePayload(event, rawPayload);
      if (!parsed.ok) {
        eventLog(event).debug({ code: parsed.code, reason: parsed.message }, "live event rejected");
        metrics.eventRejected(rejectionReason(parsed.code));
        ack?.(parsed);
        return;
      }
      metrics.eventAccepted(event);
      try {
        const answer = router.dispatchLive(event, socket, parsed.payload, socketLog);
        ack?.(answer);
      } catch (error) {
        eventLog(event).error({ err: error }, "live event handler failed");
        ack?.({ ok: false, code: "internal_error", message: "Something went wrong on the server." });
      }
    }

    async function handleEvent<E extends ClientEventName>(event: E, rawPayload: unknown, ack: (answer: Ack<E>) => void): Promise<void> {
      const log = eventLog(event);
      const parsed = parseClientPayload(event, rawPayload);
      if (!parsed.ok) {
        log.warn({ code: parsed.code, reason: parsed.message }, "event rejected");
        metrics.eventRejected(rejectionReason(parsed.code));
        ack(parsed);
        return;
      }
      metrics.eventAccepted(event);
      try {
        // The owner ran the same typed handler, here or in another process (roomRouter.ts).
        const answer = await router.dispatch(event, socket, parsed.payload, log);
        if (!answer.ok) log.info({ code: answer.code, reason: answer.message }, "event refused");
        ack(answer);
      } catch (error) {
        log.error({ err: error }, "event handler failed");
        ack({ ok: false, code: "internal_error", message: "Something went wrong on the server." });
      }
    }

    socket.on("disconnect", (reason) => {
      const log = eventLog("disconnect");
      log.debug({ reason }, "socket disconnected");
      router.disconnect(socket, log);
    });
  });

  return { io, hub, router, guard };
}

function rejectionReason(code: ErrorAck["code"]): RejectionReason {
  switch (code) {
    case "rate_limited":
    case "too_many_joins":
      return "rate";
    case "unknown_event":
      return "unknown";
    case "payload_too_large":
      return "size";
    default:
      return "schema";
  }
}

async function consume(limiter: RateLimiterMemory, key: string): Promise<boolean> {
  try {
    await limiter.consume(key);
    return true;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return false;
    throw rejection;
  }
}

/** Size as the JSON the client sent; unserialisable or absurdly deep input counts as too large. */
function payloadBytes(payload: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? "");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
