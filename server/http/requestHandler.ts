/**
 * The single HTTP entry point: gives every request an id (echoed in
 * X-Request-Id and on every log line), sets the security headers (CSP with a
 * per-response nonce), answers the server's own routes and hands the rest to Next.js.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { MatchStore } from "../storage/matchStore";
import { buildSecurityHeaders, createNonce, type SecurityPolicySettings } from "./securityHeaders";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface RequestHandlerOptions {
  logger: Logger;
  store: MatchStore;
  version: string;
  startedAt: number;
  /** Content-Security-Policy inputs; the headers go on every response (securityHeaders.ts). */
  security: SecurityPolicySettings;
  /** Tried in order before Next; each returns false when the URL is not its own. */
  routes: RouteHandler[];
  /** Next.js; absent in socket-only integration tests. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,64}$/;

export function createRequestHandler(options: RequestHandlerOptions) {
  const { logger } = options;
  const routes: RouteHandler[] = [(req, res) => handleHealth(req, res, options), ...options.routes];

  return async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const incomingId = req.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && REQUEST_ID_PATTERN.test(incomingId) ? incomingId : randomUUID();
    res.setHeader("X-Request-Id", requestId);
    const securityHeaders = buildSecurityHeaders(options.security, { nonce: createNonce(), host: req.headers.host });
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    // Next reads the nonce from the request's own CSP header and stamps it on its scripts
    // (the custom-server equivalent of setting it in middleware); a client's value is replaced.
    req.headers["content-security-policy"] = securityHeaders["Content-Security-Policy"];
    delete req.headers["content-security-policy-report-only"];
    const log = logger.child({ requestId });
    const started = performance.now();
    res.on("finish", () => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const line = { method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) };
      // Hashed static chunks are noise at info level.
      if (path.startsWith("/_next/static/")) log.debug(line, "request");
      else log.info(line, "request");
    });
    try {
      for (const route of routes) {
        if (await route(req, res)) return;
      }
      if (options.fallback) return await options.fallback(req, res);
      res.statusCode = 404;
      res.end("Not found");
    } catch (error) {
      log.error({ err: error }, "request failed");
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end("Internal server error");
      } else {
        res.destroy();
      }
    }
  };
}

async function handleHealth(req: IncomingMessage, res: ServerResponse, options: RequestHandlerOptions): Promise<boolean> {
  if ((req.url ?? "").split("?")[0] !== "/api/health") return false;
  const dbUp = await options.store.ping();
  const body = {
    ok: dbUp,
    db: dbUp ? "up" : "down",
    uptime: Math.round((Date.now() - options.startedAt) / 1000),
    version: options.version,
  };
  res.statusCode = dbUp ? 200 : 503;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(JSON.stringify(body));
  return true;
}
