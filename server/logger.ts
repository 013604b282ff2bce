import pino, { type Logger } from "pino";
import type { AppConfig } from "./config";
import type { ErrorReport } from "./observability/errorReporting";

const ERROR_LEVEL = pino.levels.values.error ?? 50;

/**
 * JSON lines in production (one id finds the whole story with grep/jq),
 * pretty output when a developer is watching.
 */
export function createLogger(
  config: Pick<AppConfig, "LOG_LEVEL" | "NODE_ENV">,
  options: { reportError?: ErrorReport; destination?: pino.DestinationStream } = {},
): Logger {
  const pretty = config.NODE_ENV === "development" && process.stdout.isTTY;
  const { reportError } = options;
  const settings: pino.LoggerOptions = {
    level: config.LOG_LEVEL,
    base: { service: "poseparty" },
    redact: { paths: ["sessionToken", "*.sessionToken", "headers.cookie"], censor: "[redacted]" },
    ...(pretty ? { transport: { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l" } } } : {}),
    // Error lines that carry an `err` also go to error reporting (SENTRY_DSN), with the line's
    // ids (roomCode, playerId, socketId, requestId…) from the child logger's bindings as tags.
    ...(reportError
      ? {
          hooks: {
            logMethod(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn, level: number) {
              const [fields, message] = args as unknown[];
              if (level >= ERROR_LEVEL && fields !== null && typeof fields === "object" && "err" in fields) {
                reportError(fields.err, { ...this.bindings(), ...fields }, typeof message === "string" ? message : undefined);
              }
              return method.apply(this, args);
            },
          },
        }
      : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export type { Logger };
