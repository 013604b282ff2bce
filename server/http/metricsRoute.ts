/**
 * GET /metrics in Prometheus text format. With METRICS_TOKEN set, only with
 * `Authorization: Bearer <token>` (compared in constant time).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Registry } from "prom-client";
import type { RouteHandler } from "./requestHandler";

export function createMetricsHandler({ registry, token }: { registry: Registry; token?: string }): RouteHandler {
  return async (req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.statusCode = 405;
      res.setHeader("Allow", "GET, HEAD");
      res.end();
      return true;
    }
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res.statusCode = 401;
      res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
      res.end("Unauthorized");
      return true;
    }
    const body = await registry.metrics();
    res.statusCode = 200;
    res.setHeader("Content-Type", registry.contentType);
    res.setHeader("Cache-Control", "no-store");
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? "")?.[1];
  if (presented === undefined) return false;
  // Hashing first gives equal lengths, so timingSafeEqual leaks neither content nor length.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}
