/**
 * HTTPS and plain HTTP on the one port of the app's http.Server (HTTPS=lan).
 *
 * Each new connection's first byte decides: 0x16 opens a TLS handshake, which a TLS server (that
 * never listens itself) completes before handing the decrypted socket to the http.Server's own
 * connection handling; anything else is plain HTTP and goes there directly. So pages, /api,
 * /vision and Socket.IO (polling and WebSocket) run unchanged over both, `req.socket.encrypted`
 * tells them apart (Next.js reads it for the request's protocol), and the server's listen, close
 * and closeAllConnections keep working as before. The same technique as httpolyglot.
 *
 * Plain HTTP is served, not refused: phones' browsers try http:// for an address typed without a
 * scheme, and a TLS-only port would answer them with a blank error. The page then explains that
 * the camera needs the https:// address and links to it (components/SecureContextGate.tsx).
 */
import type { Server as HttpServer } from "node:http";
import type { Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Logger } from "pino";

const TLS_HANDSHAKE_RECORD = 0x16;
/** A connection that sends nothing (a browser's speculative preconnect, a port scan) is closed after this. */
const FIRST_BYTE_TIMEOUT_MS = 30_000;
const TLS_HANDSHAKE_TIMEOUT_MS = 15_000;

export interface SamePortTls {
  /** Destroys every connection this layer still tracks (with the server's closeAllConnections). */
  closeAllConnections(): void;
  /** Connections that completed a TLS handshake or started plain HTTP since the start (for tests and logs). */
  readonly counts: { tls: number; plain: number };
}

type ConnectionListener = (this: HttpServer, socket: Socket) => void;

/** Call right after creating the server, before it listens (it takes over the "connection" listeners present now). */
export function serveTlsOnSamePort(httpServer: HttpServer, credentials: { key: string; cert: string }, logger: Logger): SamePortTls {
  const httpConnectionListeners = httpServer.listeners("connection") as ConnectionListener[];
  httpServer.removeAllListeners("connection");
  const handToHttp = (socket: Socket) => {
    for (const listener of httpConnectionListeners) listener.call(httpServer, socket);
  };
  const counts = { tls: 0, plain: 0 };
  const sockets = new Set<Socket>();

  const tlsServer = createTlsServer(
    { key: credentials.key, cert: credentials.cert, ALPNProtocols: ["http/1.1"], minVersion: "TLSv1.2", handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
    (tlsSocket: TLSSocket) => {
      counts.tls += 1;
      handToHttp(tlsSocket);
    },
  );
  // Every phone that has not accepted the certificate yet ends its first handshake with an alert:
  // expected, so it is only a debug line.
  tlsServer.on("tlsClientError", (error: Error, socket: TLSSocket) => {
    logger.debug({ err: error, address: socket.remoteAddress }, "TLS handshake failed");
    socket.destroy();
  });

  httpServer.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    const ignoreError = (error: Error) => logger.debug({ err: error }, "connection error before its first byte");
    const giveUp = () => socket.destroy();
    socket.on("error", ignoreError);
    socket.once("end", giveUp);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, giveUp);
    const route = () => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return; // more "readable" events follow, or "end"
      socket.off("readable", route);
      socket.off("error", ignoreError);
      socket.off("end", giveUp);
      socket.off("timeout", giveUp);
      socket.setTimeout(0);
      // Put the bytes back: the TLS socket or the HTTP parser reads them first.
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        // TLS has no half-open connections.
        socket.allowHalfOpen = false;
        tlsServer.emit("connection", socket);
      } else {
        counts.plain += 1;
        handToHttp(socket);
      }
    };
    socket.on("readable", route);
  });

  return {
    counts,
    closeAllConnections() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
