/**
 * Environment, validated once at start-up. A wrong value stops the server
 * with a message naming the variable, instead of failing later in a handler.
 */
import { z } from "zod";

const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const booleanFlag = z
  .enum(["true", "false", "1", "0"])
  .default("false")
  .transform((value) => value === "true" || value === "1");

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// or postgresql:// URL");

export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: integer(0, 65535, 3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Unset: the embedded database in DATA_DIR. Set: a PostgreSQL server. */
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ROOM_MAX_MEMBERS: integer(2, 32, 8),
  /** How long a closed tab keeps its seat before the others see it leave. */
  LEAVE_GRACE_MS: integer(0, 120_000, 5_000),
  /** Per socket; score events alone are 10 a second. */
  EVENT_RATE_PER_SECOND: integer(1, 1000, 30),
  /** Per client address: creating or joining rooms. */
  JOIN_RATE_PER_MINUTE: integer(1, 10_000, 30),
  /** Behind a reverse proxy, take the client address from X-Forwarded-For. */
  TRUST_PROXY: booleanFlag,
  /** Where the browser fetches the vision runtime and models; default: this server's /vision/. */
  MODEL_BASE_URL: z.string().url().optional(),
  /** Preload lobby: players not ready by then watch the game instead. */
  PRELOAD_TIMEOUT_MS: integer(1_000, 600_000, 45_000),
  /** Development and end-to-end tests: lets the host pick the fixed test playlists. Never in production. */
  ALLOW_TEST_PLAYLISTS: booleanFlag,
});

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings (e.g. `DATABASE_URL=` in a .env file) mean "unset", not "invalid".
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = configSchema.safeParse(defined);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join(".");
    const shown = variable === "DATABASE_URL" ? "(hidden)" : JSON.stringify(defined[variable] ?? null);
    return `  ${variable}=${shown}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid environment:\n${problems.join("\n")}`);
}
