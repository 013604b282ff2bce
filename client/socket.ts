"use client";
/**
 * One Socket.IO connection per tab, shared by every page, so moving from
 * the home page to the room does not drop the seat.
 */
import { io, type Socket } from "socket.io-client";
import type { Ack, ClientEventName, ClientPayload, ClientToServerEvents, ErrorAck, ServerToClientEvents } from "@/core/protocol";

export type PoseClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The server's error codes plus the one only the browser can observe. */
export type ClientErrorCode = ErrorAck["code"] | "server_unreachable";
export type ClientAck<E extends ClientEventName> = Ack<E> | { ok: false; code: "server_unreachable"; message: string };

const REQUEST_TIMEOUT_MS = 6_000;
let socket: PoseClientSocket | null = null;

export function getSocket(): PoseClientSocket {
  if (!socket) {
    // WebSocket first (one connection, lowest latency). Some networks (captive portals, corporate
    // proxies, a few mobile carriers) refuse WebSocket: tryAllTransports makes a failed WebSocket
    // fall back to long-polling, which then upgrades to WebSocket by itself where it can.
    socket = io({ transports: ["websocket", "polling"], tryAllTransports: true, reconnectionDelayMax: 3_000 });
    const manager = socket.io;
    const pollingFirst = () => {
      manager.opts.transports = ["polling", "websocket"];
    };
    // Once WebSocket has failed here, reconnect with polling first rather than waiting for it to
    // fail again each time; "timeout" covers a network that swallows the upgrade instead of refusing it.
    manager.on("open", () => {
      if (manager.engine.transport.name === "polling") pollingFirst();
    });
    manager.on("error", (error) => {
      if (error.message === "timeout") pollingFirst();
    });
  }
  return socket;
}

/** Emits an event and waits for its acknowledgement; a silent server becomes `server_unreachable`. */
export async function request<E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<ClientAck<E>> {
  const target = getSocket();
  try {
    // Socket.IO's typed emitWithAck cannot follow a generic event name; the protocol types guard both ends.
    const emit = target.timeout(REQUEST_TIMEOUT_MS).emitWithAck as (name: E, data: ClientPayload<E>) => Promise<Ack<E>>;
    return await emit.call(target.timeout(REQUEST_TIMEOUT_MS), event, payload);
  } catch {
    return { ok: false, code: "server_unreachable", message: "The server did not answer." };
  }
}
