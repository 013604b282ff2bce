/**
 * Checks a Socket.IO handshake before any session exists (Engine.IO's `allowRequest`, called once
 * per new session, whether it starts with long-polling or a WebSocket): the page's Origin must be
 * the app's own or an ALLOWED_ORIGINS entry, and one client address may hold at most
 * MAX_SOCKETS_PER_ADDRESS open sessions. A refusal is an HTTP 403 (polling) or 400 (WebSocket
 * upgrade) whose body says why; it is logged and counted in /metrics.
 */
import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import { checkOrigin, clientAddress, type TrustFunction } from "../http/clientAddress";
import type { ConnectionRefusal, RealtimeMetrics } from "../observability/metrics";

export interface ConnectionGuardOptions {
  trust: TrustFunction;
  allowedOrigins: readonly string[];
  maxSocketsPerAddress: number;
  metrics: Pick<RealtimeMetrics, "connectionRefused">;
  logger: Logger;
}

/** The part of an Engine.IO socket the guard needs. */
export interface EngineSocketLike {
  request: IncomingMessage;
  once(event: "close", listener: () => void): unknown;
  close(): void;
}

export type AllowRequest = (req: IncomingMessage, callback: (message: string | null | undefined, success: boolean) => void) => void;

export interface ConnectionGuard {
  /** For Socket.IO's `allowRequest` option. */
  allowRequest: AllowRequest;
  /** Call on every Engine.IO `connection`: counts the session against its address until it closes. */
  track(socket: EngineSocketLike): void;
  /** The client address of a handshake request (computed once per request). */
  addressOf(req: IncomingMessage): string;
  /** Open sessions per address (for tests and logs). */
  openCount(address: string): number;
}

export function createConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const { trust, allowedOrigins, maxSocketsPerAddress, metrics, logger } = options;
  const addresses = new WeakMap<IncomingMessage, string>();
  const open = new Map<string, number>();

  const addressOf = (req: IncomingMessage): string => {
    let address = addresses.get(req);
    if (address === undefined) {
      address = clientAddress(req, trust);
      addresses.set(req, address);
    }
    return address;
  };
  const refuse = (reason: ConnectionRefusal, details: Record<string, unknown>, message: string) => {
    metrics.connectionRefused(reason);
    logger.warn({ reason, ...details }, "connection refused");
    return message;
  };

  return {
    addressOf,
    openCount: (address) => open.get(address) ?? 0,
    allowRequest(req, callback) {
      const address = addressOf(req);
      const origin = checkOrigin(req, trust, allowedOrigins);
      if (!origin.ok) {
        return callback(
          refuse("origin", { address, origin: origin.origin }, `origin_not_allowed: pages from ${origin.origin} may not connect to this server`),
          false,
        );
      }
      if ((open.get(address) ?? 0) >= maxSocketsPerAddress) {
        return callback(
          refuse(
            "address_limit",
            { address, limit: maxSocketsPerAddress },
            `too_many_connections: this address already has ${maxSocketsPerAddress} open connections`,
          ),
          false,
        );
      }
      callback(null, true);
    },
    track(socket) {
      const address = addressOf(socket.request);
      const count = (open.get(address) ?? 0) + 1;
      open.set(address, count);
      socket.once("close", () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left > 0) open.set(address, left);
        else open.delete(address);
      });
      // allowRequest and the session's creation run in one turn of the event loop, so this only
      // catches a handshake path that yields in between (none in engine.io 6): close the extra one.
      if (count > maxSocketsPerAddress) {
        refuse("address_limit", { address, limit: maxSocketsPerAddress }, "too_many_connections");
        socket.close();
      }
    },
  };
}
