import pino, { type Logger } from "pino";
import type { AppConfig } from "./config";

/**
 * JSON lines in production (one id finds the whole story with grep/jq),
 * pretty output when a developer is watching.
 */
export function createLogger(config: Pick<AppConfig, "LOG_LEVEL" | "NODE_ENV">): Logger {
  const pretty = config.NODE_ENV === "development" && process.stdout.isTTY;
  return pino({
    level: config.LOG_LEVEL,
    base: { service: "poseparty" },
    redact: { paths: ["sessionToken", "*.sessionToken", "headers.cookie"], censor: "[redacted]" },
    ...(pretty ? { transport: { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l" } } } : {}),
  });
}

export type { Logger };
