/**
 * Several processes behind one Redis (REDIS_URL). Rooms are pinned to the process that
 * created them: `poseparty:room:<code>` holds the owner's server id, set with NX and a TTL
 * that the owner refreshes while the room lives. Another process that receives an event for
 * such a room publishes it on the owner's request channel and waits for the reply on its own.
 * Socket.IO's Redis adapter (a separate pair of connections) carries broadcasts, room joins
 * and per-socket emits to sockets on every process.
 */
import { randomUUID } from "node:crypto";
// Types only: ioredis and the adapter are loaded by connect(), so a server without REDIS_URL
// never loads them (about 60 ms and 10-15 MiB at every start; bench/README.md, "Whole app idle").
import type { createShardedAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
import type { AdapterFactory, ForwardedAnswer, ForwardedEvent, ForwardedEventHandler, Presence } from "./presence";

/** How long a claim survives without a refresh: a dead owner's rooms disappear after this. */
export const ROOM_CLAIM_TTL_MS = 15_000;
const REFRESH_EVERY_MS = 5_000;
/** A forwarded event the owner has not answered by then fails (the client sees an error, not a hang). */
export const FORWARD_TIMEOUT_MS = 3_000;

/**
 * Live events (meters) bound for one owner that arrive in one turn of the event loop go out as
 * one message, at most this many: under load a turn reads many sockets, and one publish and one
 * parse per batch instead of per sample is most of what forwarding a meter costs.
 */
const LIVE_BATCH_MAX = 500;

const roomKey = (code: string) => `poseparty:room:${code}`;
const requestChannel = (serverId: string) => `poseparty:server:${serverId}:requests`;
const replyChannel = (serverId: string) => `poseparty:server:${serverId}:replies`;

// Compare-and-act: only the owner may refresh or drop its claim (another process may hold the key after a TTL lapse).
const REFRESH_IF_OWNER = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
const DELETE_IF_OWNER = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

// Messages between processes are checked like any other input: a bad one is logged and dropped.
const socketDataSchema = z.object({ roomCode: z.string().optional(), playerId: z.string().optional() });
const forwardedEventSchema = z.object({ event: z.string(), payload: z.unknown(), socketId: z.string(), data: socketDataSchema });
const requestSchema = z.object({ id: z.string(), from: z.string(), request: forwardedEventSchema });
/** Live events for one owner, gathered over one turn of the event loop (send). */
const liveBatchSchema = z.object({ from: z.string(), live: z.array(forwardedEventSchema).max(LIVE_BATCH_MAX) });
const replySchema = z.object({ id: z.string(), reply: z.object({ answer: z.unknown(), data: socketDataSchema }) });

interface PendingRequest {
  resolve: (answer: ForwardedAnswer | null) => void;
  timer: NodeJS.Timeout;
}

export class RedisPresence implements Presence {
  readonly serverId = randomUUID();
  readonly distributed = true;
  readonly socketIoAdapter: AdapterFactory;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly adapterSubscriber: Redis;
  private readonly pending = new Map<string, PendingRequest>();
  private readonly claimed = new Set<string>();
  private handler: ForwardedEventHandler | undefined;
  /** Live events waiting for the end of this turn of the event loop, by owner. */
  private readonly liveOutbox = new Map<string, ForwardedEvent[]>();
  private liveFlush: NodeJS.Immediate | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  private constructor(
    commands: Redis,
    private readonly logger: Logger,
    createAdapter: typeof createShardedAdapter,
  ) {
    this.commands = commands;
    this.subscriber = commands.duplicate();
    this.adapterSubscriber = commands.duplicate();
    // Sharded Pub/Sub (Redis 7+; works on a Redis Cluster too). "static": every process hears every
    // broadcast on one channel, like the classic adapter. The default "dynamic" subscribes a process
    // to a room's channel only once one of its sockets joins: a room's owner joins a socket on
    // another process and broadcasts at once, and that process missed the broadcast announcing its
    // own player in 2 of 5 tries here (docs/scale-out.md).
    this.socketIoAdapter = createAdapter(this.commands, this.adapterSubscriber, { subscriptionMode: "static" });
    for (const client of [this.commands, this.subscriber, this.adapterSubscriber]) {
      client.on("error", (error: Error) => this.logger.error({ err: error }, "redis connection error"));
    }
  }

  /** Connects and subscribes; throws when Redis cannot be reached (the server does not start half-scaled). */
  static async connect(url: string, logger: Logger): Promise<RedisPresence> {
    const [{ Redis }, { createShardedAdapter }] = await Promise.all([import("ioredis"), import("@socket.io/redis-adapter")]);
    const commands = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    commands.on("error", () => {}); // the failed first connection is reported below, once
    try {
      await commands.connect();
    } catch (error) {
      commands.disconnect();
      const { hostname, port } = new URL(url); // never the password
      throw new Error(`Cannot reach Redis at ${hostname}:${port || 6379} (REDIS_URL): ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    commands.removeAllListeners("error");
    const presence = new RedisPresence(commands, logger.child({ component: "presence" }), createShardedAdapter);
    await presence.subscribe();
    return presence;
  }

  private async subscribe(): Promise<void> {
    this.subscriber.on("message", (channel: string, message: string) => {
      if (channel === requestChannel(this.serverId)) void this.answer(message);
      else if (channel === replyChannel(this.serverId)) this.settle(message);
    });
    await this.subscriber.subscribe(requestChannel(this.serverId), replyChannel(this.serverId));
  }

  async claimRoom(code: string): Promise<boolean> {
    const set = await this.commands.set(roomKey(code), this.serverId, "PX", ROOM_CLAIM_TTL_MS, "NX");
    if (set !== "OK") return false;
    this.claimed.add(code);
    return true;
  }

  async roomOwner(code: string): Promise<string | null> {
    return this.commands.get(roomKey(code));
  }

  forward(serverId: string, request: ForwardedEvent): Promise<ForwardedAnswer | null> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.logger.warn({ owner: serverId, event: request.event }, "room owner did not answer a forwarded event");
        resolve(null);
      }, FORWARD_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.commands.publish(requestChannel(serverId), JSON.stringify({ id, from: this.serverId, request })).catch((error: unknown) => {
        this.logger.error({ err: error }, "could not forward an event");
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(null);
      });
    });
  }

  send(serverId: string, request: ForwardedEvent): void {
    const batch = this.liveOutbox.get(serverId);
    if (batch) batch.push(request);
    else this.liveOutbox.set(serverId, [request]);
    if (batch && batch.length >= LIVE_BATCH_MAX) this.publishLive(serverId);
    this.liveFlush ??= setImmediate(() => {
      this.liveFlush = undefined;
      for (const owner of [...this.liveOutbox.keys()]) this.publishLive(owner);
    });
  }

  private publishLive(serverId: string): void {
    const live = this.liveOutbox.get(serverId);
    this.liveOutbox.delete(serverId);
    if (!live?.length) return;
    this.commands.publish(requestChannel(serverId), JSON.stringify({ from: this.serverId, live })).catch((error: unknown) => {
      this.logger.debug({ err: error, events: live.length }, "could not forward live events");
    });
  }

  serveForwarded(handler: ForwardedEventHandler): void {
    this.handler = handler;
  }

  keepRoomsAlive(isRoomOpen: (code: string) => boolean): void {
    clearInterval(this.refreshTimer);
    this.refreshTimer = setInterval(() => void this.refreshClaims(isRoomOpen), REFRESH_EVERY_MS);
    this.refreshTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.refreshTimer);
    if (this.liveFlush) clearImmediate(this.liveFlush);
    this.liveFlush = undefined;
    this.liveOutbox.clear();
    for (const { resolve, timer } of this.pending.values()) {
      clearTimeout(timer);
      resolve(null);
    }
    this.pending.clear();
    await Promise.allSettled([...this.claimed].map((code) => this.commands.eval(DELETE_IF_OWNER, 1, roomKey(code), this.serverId)));
    this.claimed.clear();
    await Promise.allSettled([this.subscriber.quit(), this.adapterSubscriber.quit(), this.commands.quit()]);
  }

  private async refreshClaims(isRoomOpen: (code: string) => boolean): Promise<void> {
    for (const code of [...this.claimed]) {
      try {
        if (isRoomOpen(code)) {
          const refreshed = await this.commands.eval(REFRESH_IF_OWNER, 1, roomKey(code), this.serverId, String(ROOM_CLAIM_TTL_MS));
          if (refreshed === 0) this.logger.error({ roomCode: code }, "lost the claim on a live room (Redis was unreachable longer than the TTL)");
        } else {
          this.claimed.delete(code);
          await this.commands.eval(DELETE_IF_OWNER, 1, roomKey(code), this.serverId);
        }
      } catch (error) {
        this.logger.error({ err: error, roomCode: code }, "refreshing a room claim failed");
      }
    }
  }

  private async answer(message: string): Promise<void> {
    const json = safeJson(message);
    if (json && typeof json === "object" && "live" in json) {
      const batch = liveBatchSchema.safeParse(json);
      if (!batch.success || !this.handler) {
        this.logger.warn("dropped a malformed batch of forwarded live events");
        return;
      }
      // No answers: the sender did not wait (a failure is the owner's to log, like a local one).
      for (const request of batch.data.live)
        void this.handler(request).catch((error: unknown) => this.logger.error({ err: error, event: request.event }, "forwarded event failed"));
      return;
    }
    const parsed = requestSchema.safeParse(json);
    if (!parsed.success || !this.handler) {
      this.logger.warn("dropped a malformed forwarded event");
      return;
    }
    const { id, from, request } = parsed.data;
    let reply: ForwardedAnswer;
    try {
      reply = await this.handler(request);
    } catch (error) {
      this.logger.error({ err: error, event: request.event }, "forwarded event failed");
      reply = { answer: { ok: false, code: "internal_error", message: "Something went wrong on the server." }, data: request.data };
    }
    await this.commands.publish(replyChannel(from), JSON.stringify({ id, reply })).catch((error: unknown) => {
      this.logger.error({ err: error }, "could not send a forwarded event's answer");
    });
  }

  private settle(message: string): void {
    const parsed = replySchema.safeParse(safeJson(message));
    if (!parsed.success) {
      this.logger.warn("dropped a malformed forwarded answer");
      return;
    }
    const pending = this.pending.get(parsed.data.id);
    if (!pending) return; // answered after the timeout
    clearTimeout(pending.timer);
    this.pending.delete(parsed.data.id);
    pending.resolve(parsed.data.reply);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
