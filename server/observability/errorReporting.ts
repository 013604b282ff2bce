/**
 * Optional error reporting to Sentry (or anything speaking its envelope protocol) when SENTRY_DSN
 * is set. Without it nothing is loaded.
 *
 * Where reports come from: every line logged at error level with an `err` (the logger calls
 * `report`, see logger.ts). That one path covers socket handlers, HTTP requests and match saves,
 * and each report carries the same ids as its log line (roomCode, playerId, socketId, event,
 * requestId) as Sentry tags: search the logs for the tag's value and the story is there.
 *
 * Why @sentry/core and not @sentry/node: @sentry/node 11 installs ~95 MB (OpenTelemetry, a bundler
 * plugin with a native parser, the Sentry CLI) for automatic tracing this server does not use.
 * @sentry/core is the SDK's own client, scope, envelope and rate-limit handling in ~9 MB, without
 * global patching; this file adds a fetch transport and Node's stack parser.
 */
import { hostname } from "node:os";
import type { Client, Scope as SentryScope, Transport } from "@sentry/core";

/** The log fields that become tags: the ids that find the matching log lines. */
export const REPORTED_TAGS = ["roomCode", "playerId", "socketId", "event", "requestId"] as const;

export type ErrorReport = (error: unknown, fields: Record<string, unknown>, message?: string) => void;

export interface ErrorReporter {
  report: ErrorReport;
  /** Waits (bounded) for reports still being sent: called on shutdown. */
  flush(timeoutMs: number): Promise<void>;
}

/** The Sentry tags for a log line's fields: known ids only, as strings, nothing else (no secrets). */
export function errorTags(fields: Record<string, unknown>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const name of REPORTED_TAGS) {
    const value = fields[name];
    if (typeof value === "string" && value.length > 0) tags[name] = value.slice(0, 200);
  }
  return tags;
}

export async function createErrorReporter(options: { dsn: string | undefined; release: string; environment: string }): Promise<ErrorReporter | undefined> {
  if (!options.dsn) return undefined;
  const [core, server] = await Promise.all([import("@sentry/core"), import("@sentry/core/server")]);

  const makeFetchTransport = (transportOptions: Parameters<typeof core.createTransport>[0] & { url: string; headers?: Record<string, string> }): Transport =>
    core.createTransport(transportOptions, async (request) => {
      const response = await fetch(transportOptions.url, {
        method: "POST",
        body: typeof request.body === "string" ? request.body : Buffer.from(request.body),
        headers: transportOptions.headers,
        signal: AbortSignal.timeout(10_000),
      });
      return {
        statusCode: response.status,
        headers: { "x-sentry-rate-limits": response.headers.get("x-sentry-rate-limits"), "retry-after": response.headers.get("retry-after") },
      };
    });

  const client: Client = new server.ServerRuntimeClient({
    dsn: options.dsn,
    release: `poseparty@${options.release}`,
    environment: options.environment,
    platform: "node",
    runtime: { name: "node", version: process.version },
    serverName: hostname(),
    stackParser: core.createStackParser(server.nodeStackLineParser()),
    transport: makeFetchTransport,
    integrations: [core.linkedErrorsIntegration(), core.dedupeIntegration()],
    // Errors only: no tracing, no personal data.
    sendDefaultPii: false,
  });
  const baseScope: SentryScope = new core.Scope();
  baseScope.setClient(client);
  client.init();

  return {
    report(error, fields, message) {
      const scope = baseScope.clone();
      scope.setTags(errorTags(fields));
      if (message) scope.setExtra("logMessage", message);
      scope.captureException(error instanceof Error ? error : new Error(String(error)));
    },
    async flush(timeoutMs) {
      await client.flush(timeoutMs);
    },
  };
}
