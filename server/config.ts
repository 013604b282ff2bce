/**
 * Environment, validated once at start-up. A wrong value stops the server
 * with a message naming the variable, instead of failing later in a handler.
 */
import { createHmac } from "node:crypto";
import proxyaddr from "proxy-addr";
import { z } from "zod";

const integer = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const booleanFlag = z
  .enum(["true", "false", "1", "0"])
  .default("false")
  .transform((value) => value === "true" || value === "1");

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), "must be a postgres:// or postgresql:// URL");

/** A comma-separated list of URLs, each matching the pattern; parsed to an array. */
function urlList(pattern: RegExp, schemes: string) {
  const split = (value: string) =>
    value
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url.length > 0);
  return z
    .string()
    .refine((value) => split(value).length > 0 && split(value).every((url) => pattern.test(url)), `must be a comma-separated list of ${schemes} URLs`)
    .transform(split)
    .optional();
}

/**
 * TRUST_PROXY: `false`/`0` (no proxy: the peer is the client), `true` (one proxy: the rightmost
 * X-Forwarded-For entry), a hop count N (the N-th entry from the right), or a comma-separated list
 * of proxy addresses/subnets (`loopback`, `10.0.0.0/8`, …: hops from those are skipped), as
 * Express's `trust proxy` reads them (proxy-addr), except that `true` means one hop, never "the
 * leftmost entry" (which the client writes itself). Parsed to a hop count or a list.
 */
const trustProxy = z
  .string()
  .transform((value, context): number | string[] => {
    const trimmed = value.trim().toLowerCase();
    if (trimmed === "false") return 0;
    if (trimmed === "true") return 1;
    if (/^\d+$/.test(trimmed)) {
      const hops = Number(trimmed);
      if (hops <= 10) return hops;
      context.addIssue({ code: "custom", message: "a hop count must be 0 to 10" });
      return z.NEVER;
    }
    const list = trimmed
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    try {
      if (list.length === 0) throw new TypeError("empty list");
      proxyaddr.compile(list);
      return list;
    } catch {
      context.addIssue({
        code: "custom",
        message:
          "must be true, false, a hop count (0 to 10) or a comma-separated list of proxy addresses or subnets (loopback, linklocal, uniquelocal, 10.0.0.0/8, ::1, …)",
      });
      return z.NEVER;
    }
  })
  .default(0);

/** ALLOWED_ORIGINS: comma-separated http(s) origins (scheme, host, optional port; no path), normalised. */
const originList = z
  .string()
  .transform((value, context): string[] => {
    const origins: string[] = [];
    for (const entry of value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0)) {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin + "/" !== url.href.replace(/\/?$/, "/") || url.username || url.password) {
        context.addIssue({
          code: "custom",
          message: `${JSON.stringify(entry)} is not an origin: write it as https://host or https://host:port, nothing after`,
        });
        return z.NEVER;
      }
      origins.push(url.origin);
    }
    return origins;
  })
  .default([]);

/** Never echoed in start-up errors. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  "DATABASE_URL",
  "TURN_CREDENTIAL",
  "TURN_SECRET",
  "LIVEKIT_API_SECRET",
  "METRICS_TOKEN",
  "SENTRY_DSN",
  "REDIS_URL",
]);

export const configSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: integer(0, 65535, 3000),
    HOST: z.string().min(1).default("0.0.0.0"),
    /**
     * `lan`: a party on the local network. HTTPS with a self-signed certificate made in DATA_DIR, and
     * plain HTTP on the same port (pages there explain how to switch); invite links use the LAN address.
     */
    HTTPS: z.enum(["off", "lan"]).default("off"),
    /** Unset: the embedded database in DATA_DIR. Set: a PostgreSQL server. */
    DATABASE_URL: postgresUrl.optional(),
    DATA_DIR: z.string().min(1).default("./data"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ROOM_MAX_MEMBERS: integer(2, 32, 8),
    /** How long a dropped player (network, screen lock, reload) keeps its seat, score and role. */
    LEAVE_GRACE_MS: integer(0, 120_000, 30_000),
    /**
     * During play, a member whose page said nothing this long (it beats every second) shows as
     * reconnecting, seat kept, until it is heard again; 0 turns the watch off (Socket.IO's own
     * heartbeat then decides, after up to PING_INTERVAL_MS + PING_TIMEOUT_MS).
     */
    SILENT_AFTER_MS: integer(0, 120_000, 5_000),
    /** Per socket; score events alone are 10 a second. */
    EVENT_RATE_PER_SECOND: integer(1, 1000, 30),
    /** Per client address: creating or joining rooms. */
    JOIN_RATE_PER_MINUTE: integer(1, 1_000_000, 30),
    /** Behind a reverse proxy: how to read the client address from X-Forwarded-For (see trustProxy above). */
    TRUST_PROXY: trustProxy,
    /** Origins besides the app's own (the request's Host) whose pages may open a Socket.IO connection. */
    ALLOWED_ORIGINS: originList,
    /** Concurrent Socket.IO connections one client address may hold; more are refused. */
    MAX_SOCKETS_PER_ADDRESS: integer(1, 1_000_000, 64),
    /** Socket.IO heartbeat: a ping every PING_INTERVAL_MS, and a socket that has not answered PING_TIMEOUT_MS later is closed. */
    PING_INTERVAL_MS: integer(100, 120_000, 10_000),
    PING_TIMEOUT_MS: integer(100, 120_000, 20_000),
    /** Where the browser fetches the vision runtime and models; default: this server's /vision/. */
    MODEL_BASE_URL: z.string().url().optional(),
    /** Preload lobby: players not ready by then watch the game instead. */
    PRELOAD_TIMEOUT_MS: integer(1_000, 600_000, 45_000),
    /** Development and end-to-end tests: lets the host pick the fixed test playlists. Never in production. */
    ALLOW_TEST_PLAYLISTS: booleanFlag,
    // ---- Call (video): ICE servers for both modes, LiveKit when all three LIVEKIT_* are set.
    /** Comma-separated `stun:`/`stuns:` URLs. Unset: host candidates only (same network). */
    STUN_URLS: urlList(/^stuns?:[^\s,]+$/, "stun: or stuns:"),
    /** Comma-separated `turn:`/`turns:` URLs of a relay (coturn) for players behind strict NATs. */
    TURN_URLS: urlList(/^turns?:[^\s,]+$/, "turn: or turns:"),
    /** Static TURN credentials, handed to every room page as they are. */
    TURN_USERNAME: z.string().max(256).optional(),
    TURN_CREDENTIAL: z.string().max(256).optional(),
    /** coturn `static-auth-secret`: per-page credentials valid TURN_CREDENTIAL_TTL_S, never the secret itself. */
    TURN_SECRET: z.string().min(16, "must be at least 16 characters").max(256).optional(),
    /**
     * How long credentials minted from TURN_SECRET stay valid (seconds): a long evening of games.
     * A page's call keeps its relay after that (coturn checks the lifetime only when an allocation
     * is made or refreshed); short values exist for the test that watches coturn refuse one.
     */
    TURN_CREDENTIAL_TTL_S: integer(1, 7 * 24 * 60 * 60, 12 * 60 * 60),
    LIVEKIT_URL: z
      .string()
      .regex(/^(wss?|https?):\/\/\S+$/, "must be a wss://, ws://, https:// or http:// URL")
      .optional(),
    LIVEKIT_API_KEY: z.string().min(1).max(256).optional(),
    LIVEKIT_API_SECRET: z.string().min(1).max(512).optional(),
    // ---- Observability.
    /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").max(256).optional(),
    /** Sentry (or compatible) DSN: server errors are reported there, tagged with room, player and request ids. */
    SENTRY_DSN: z.string().url().optional(),
    // ---- Scale-out.
    /** Several server processes behind one Redis: Socket.IO's Redis adapter, rooms pinned to their creator (docs/scale-out.md). */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL")
      .optional(),
  })
  .superRefine((config, context) => {
    // Settings that only work together: name the missing variable, not just "invalid".
    const issue = (variable: string, message: string) => context.addIssue({ code: "custom", path: [variable], message });
    const livekit = ["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"] as const;
    const livekitSet = livekit.filter((variable) => config[variable] !== undefined);
    if (livekitSet.length > 0 && livekitSet.length < livekit.length) {
      for (const variable of livekit) {
        if (config[variable] === undefined) {
          issue(variable, `must be set too: LiveKit needs ${livekit.join(", ")} (set none of them for built-in calls)`);
        }
      }
    }
    const staticTurn = config.TURN_USERNAME !== undefined || config.TURN_CREDENTIAL !== undefined;
    if (config.TURN_SECRET !== undefined && staticTurn) {
      issue("TURN_SECRET", "set either TURN_SECRET or TURN_USERNAME and TURN_CREDENTIAL, not both");
    } else if (staticTurn && config.TURN_USERNAME === undefined) {
      issue("TURN_USERNAME", "must be set together with TURN_CREDENTIAL");
    } else if (staticTurn && config.TURN_CREDENTIAL === undefined) {
      issue("TURN_CREDENTIAL", "must be set together with TURN_USERNAME");
    }
    if (config.TURN_URLS && config.TURN_SECRET === undefined && !staticTurn) {
      issue("TURN_URLS", "needs credentials: set TURN_SECRET (coturn use-auth-secret) or TURN_USERNAME and TURN_CREDENTIAL");
    }
    if (!config.TURN_URLS && (config.TURN_SECRET !== undefined || staticTurn)) {
      issue("TURN_URLS", "must be set when TURN credentials are");
    }
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
    const shown = !(variable in defined) ? "(unset)" : SECRET_VARIABLES.has(variable) ? "(hidden)" : JSON.stringify(defined[variable]);
    return `  ${variable}=${shown}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid environment:\n${problems.join("\n")}`);
}

// ---------------------------------------------------------------- Call (video)
/** An RTCIceServer as the browser takes it (kept here so the server needs no DOM types). */
export interface IceServerConfig {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * The ICE servers a room page hands to its browser. With TURN_SECRET, credentials follow
 * coturn's `use-auth-secret` scheme (username `<expiry>:poseparty`, password
 * base64(HMAC-SHA1(secret, username))), so a leaked page stops working after the TTL.
 */
export function iceServersFor(config: AppConfig, now: number = Date.now()): IceServerConfig[] {
  const servers: IceServerConfig[] = [];
  if (config.STUN_URLS) servers.push({ urls: config.STUN_URLS });
  if (config.TURN_URLS) {
    if (config.TURN_SECRET) {
      const username = `${Math.floor(now / 1000) + config.TURN_CREDENTIAL_TTL_S}:poseparty`;
      const credential = createHmac("sha1", config.TURN_SECRET).update(username).digest("base64");
      servers.push({ urls: config.TURN_URLS, username, credential });
    } else if (config.TURN_USERNAME && config.TURN_CREDENTIAL) {
      servers.push({ urls: config.TURN_URLS, username: config.TURN_USERNAME, credential: config.TURN_CREDENTIAL });
    }
  }
  return servers;
}

/**
 * What a host should hear at start-up when the built-in mesh call has no relay: two phones behind
 * strict NATs (a carrier's NAT, many office and school networks) can then never see each other,
 * and each tile says so. Null when a relay is configured, LiveKit carries the call, or the party
 * is on one Wi-Fi (`HTTPS=lan`, where phones connect directly).
 */
export function missingRelayWarning(config: AppConfig): string | null {
  if (livekitSettings(config) || config.HTTPS === "lan") return null;
  if (iceServersFor(config).some((server) => server.urls.some((url) => /^turns?:/.test(url)))) return null;
  const missing = config.TURN_URLS ? "TURN_SECRET (or TURN_USERNAME and TURN_CREDENTIAL)" : "TURN_URLS and TURN_SECRET";
  return `the call has no relay: set ${missing} (docs/hosting.md). Without one, players behind a carrier's NAT or a strict firewall cannot see each other; their tiles say the network needs a relay.`;
}

/** LiveKit settings when all three variables are set (the schema refuses a partial set). */
export function livekitSettings(config: AppConfig): { url: string; apiKey: string; apiSecret: string } | null {
  const { LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret } = config;
  return url && apiKey && apiSecret ? { url, apiKey, apiSecret } : null;
}
