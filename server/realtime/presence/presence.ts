/**
 * What one server process needs to know about the others (Colyseus-style presence):
 * which process owns a room, and a way to hand an event to that owner and get its answer.
 *
 * Two implementations side by side, chosen at start-up from REDIS_URL:
 * - LocalPresence (default): one process, every room is here, nothing is forwarded.
 * - RedisPresence: rooms are pinned to the process that created them (owner key with a TTL,
 *   refreshed while the room lives); other processes forward intents over Redis pub/sub.
 * Design and failure modes: docs/scale-out.md.
 */
import type { Adapter } from "socket.io-adapter";
import type { Namespace } from "socket.io";
import type { SocketData } from "../roomHub";

/** A client event (or its disconnect) that arrived on one process for a room owned by another. */
export interface ForwardedEvent {
  event: string;
  payload: unknown;
  socketId: string;
  /** The socket's data on the receiving process: which room and seat it speaks for. */
  data: SocketData;
}

/** The owner's acknowledgement, plus the socket's data after the event (seated, left, ...). */
export interface ForwardedAnswer {
  answer: unknown;
  data: SocketData;
}

export type ForwardedEventHandler = (request: ForwardedEvent) => Promise<ForwardedAnswer>;

/** Socket.IO's adapter constructor shape (`new Server({ adapter })`). */
export type AdapterFactory = (namespace: Namespace) => Adapter;

export interface Presence {
  /** This process's id (random per start). */
  readonly serverId: string;
  /** True when other processes may exist (rooms must be looked up, events forwarded). */
  readonly distributed: boolean;
  /** Socket.IO adapter that reaches sockets on every process; undefined: the in-memory default. */
  readonly socketIoAdapter: AdapterFactory | undefined;
  /** Records this process as the room's owner; false when another process already owns the code. */
  claimRoom(code: string): Promise<boolean>;
  /** The owning process of a room, or null when no live process owns it. */
  roomOwner(code: string): Promise<string | null>;
  /** Hands an event to the owner; null when it did not answer in time (it died or is overloaded). */
  forward(serverId: string, request: ForwardedEvent): Promise<ForwardedAnswer | null>;
  /**
   * Hands an event to the owner and wants no answer: the live lane's meters (presence, not
   * events: the next sample replaces a lost one), about 10 a second per player on another process.
   */
  send(serverId: string, request: ForwardedEvent): void;
  /** Serves events forwarded to this process by the others. */
  serveForwarded(handler: ForwardedEventHandler): void;
  /**
   * Keeps this process's claims alive while `isRoomOpen` says the room still exists, and drops
   * the claims of rooms that closed.
   */
  keepRoomsAlive(isRoomOpen: (code: string) => boolean): void;
  /** Drops every claim and connection; rooms of this process are gone for the others. */
  close(): Promise<void>;
}
