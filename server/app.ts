/**
 * Start-up in named, timed phases, and the matching graceful stop.
 * main.ts calls this with Next.js; integration tests call it without Next.
 */
import { createServer, type RequestListener, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { iceServersFor, livekitSettings, type AppConfig } from "./config";
import { createLivekitTokenHandler } from "./http/livekitToken";
import { createMetricsHandler } from "./http/metricsRoute";
import { createServerMetrics } from "./observability/metrics";
import { createRequestHandler } from "./http/requestHandler";
import { createVisionAssetHandler } from "./http/visionAssets";
import { attachRealtime, type Realtime, type RealtimeWireOptions } from "./realtime/socketServer";
import { openPresence } from "./realtime/presence/openPresence";
import { saveRoomsForRestart, takeRoomsAfterRestart } from "./realtime/roomCarryOver";
import { publishAppServices } from "./services";
import { openMatchStore, type MatchStore } from "./storage/matchStore";
import { MatchSaver } from "./storage/pendingMatches";
import { reachableLanAddresses } from "./lan/addresses";
import { loadOrCreateLanCertificate } from "./lan/certificate";
import { serveTlsOnSamePort, type SamePortTls } from "./lan/tlsOnSamePort";
import packageJson from "../package.json" with { type: "json" };

export interface StartOptions {
  config: AppConfig;
  logger: Logger;
  /** Serve the Next.js pages (off in socket-only tests). */
  withNext: boolean;
  /** The bench's game-server variants only (bench/server/startGameServer.ts); absent: Socket.IO's defaults. */
  wire?: RealtimeWireOptions;
}

export interface RunningServer {
  url: string;
  port: number;
  httpServer: HttpServer;
  realtime: Realtime;
  store: MatchStore;
  /** Finished matches on their way to the database (pending ones kept in DATA_DIR/pending-matches). */
  matches: MatchSaver;
  /** HTTPS=lan: the addresses phones open (one per LAN IPv4 address) and the certificate's fingerprint. */
  lan?: { urls: string[]; fingerprint256: string; connections: SamePortTls["counts"] };
  /** Stops accepting, tells clients, closes sockets and the database. Idempotent. */
  close(reason?: "restart" | "shutdown"): Promise<void>;
}

/**
 * Production: Next.js takes the config the build resolved (.next/required-server-files.json), as
 * its own standalone server does, instead of reading next.config.ts again. Reading a .ts config
 * loads Next's SWC compiler to transpile it: 24 MiB of native code resident for good, and part of
 * the start-up. A custom server cannot pass the object instead (next({ conf }) does not reach
 * the router server that loads the config). Without a build, Next reports the missing build.
 */
async function useBuiltNextConfig(dir: string): Promise<void> {
  const manifest = await readFile(path.join(dir, ".next", "required-server-files.json"), "utf8").catch(() => null);
  if (manifest === null) return;
  const { config } = JSON.parse(manifest) as { config?: unknown };
  if (config) process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);
}

export async function startPoseServer({ config, logger, withNext, wire }: StartOptions): Promise<RunningServer> {
  const startedAt = Date.now();
  const phase = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const began = performance.now();
    const result = await work();
    // rssMiB: what the process holds after each phase (the bench's idle section reads it).
    logger.info(
      { phase: name, ms: Math.round(performance.now() - began), rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20) },
      `start-up phase ${name} done`,
    );
    return result;
  };

  const { store, engine, appliedMigrations } = await phase("database", () =>
    openMatchStore({ databaseUrl: config.DATABASE_URL, dataDir: path.resolve(config.DATA_DIR), logger }),
  );
  logger.info({ engine, appliedMigrations }, "database ready");

  const nextApp = withNext
    ? await phase("next", async () => {
        const { default: next } = await import("next");
        const dev = config.NODE_ENV === "development";
        if (!dev) await useBuiltNextConfig(process.cwd());
        const app = next({ dev, dir: process.cwd(), hostname: config.HOST, port: config.PORT });
        await app.prepare();
        return app;
      })
    : undefined;

  const httpServer = createServer();
  // HTTPS=lan: TLS and plain HTTP on this one server's port (server/lan/tlsOnSamePort.ts). The
  // addresses are read once: the certificate names them and invite links use the first.
  const lanAddresses = config.HTTPS === "lan" ? reachableLanAddresses(config.HOST) : [];
  const lanCertificate =
    config.HTTPS === "lan"
      ? await phase("certificate", () => loadOrCreateLanCertificate({ dataDir: path.resolve(config.DATA_DIR), addresses: lanAddresses, logger }))
      : undefined;
  const samePortTls = lanCertificate ? serveTlsOnSamePort(httpServer, lanCertificate, logger) : undefined;
  const metrics = createServerMetrics();
  // The app's request handler must be registered BEFORE Socket.IO attaches: Engine.IO takes the
  // listeners present at that moment and calls them only for requests outside /socket.io/. A
  // listener added afterwards also sees every long-polling request and answers it (Next's 404)
  // while Engine.IO holds it, which broke polling and leaked sessions. The handler itself needs
  // the realtime router (LiveKit tokens), so this stand-in forwards to it once it exists, which is
  // before the server listens.
  let appRequestHandler: RequestListener | undefined;
  httpServer.on("request", (req, res) => {
    if (appRequestHandler) return appRequestHandler(req, res);
    res.statusCode = 503;
    res.end("Starting");
  });
  // Errors nothing caught: counted and logged (and so reported to Sentry). Next.js installs its
  // own handlers that keep the process alive; these make such errors visible in /metrics.
  const onUncaughtException = (error: Error, origin: string) => {
    metrics.processError("uncaught_exception");
    logger.error({ err: error, origin }, "uncaught exception");
  };
  const onUnhandledRejection = (reason: unknown) => {
    metrics.processError("unhandled_rejection");
    logger.error({ err: reason }, "unhandled promise rejection");
  };
  process.on("uncaughtException", onUncaughtException);
  process.on("unhandledRejection", onUnhandledRejection);
  const presence = await phase("presence", () => openPresence(config, logger));
  // Every finished match goes through the saver: into the database, or durably into
  // DATA_DIR/pending-matches and retried (in the background, and here at the next start) until
  // it is. Saves still running when a drain starts finish before the database closes.
  const matches = new MatchSaver({ dataDir: path.resolve(config.DATA_DIR), save: (match) => store.saveMatch(match), logger });
  await matches.resumePending();
  const realtime = await phase("socket.io", () => attachRealtime(httpServer, config, logger, matches, metrics, presence, wire));
  // Rooms kept by the last drain come back (in chat) for their players to reclaim.
  for (const room of await takeRoomsAfterRestart(path.resolve(config.DATA_DIR), logger)) {
    if (!(await presence.claimRoom(room.state.code))) {
      logger.warn({ roomCode: room.state.code }, "a kept room's code is owned by another process now: not restored");
      continue;
    }
    realtime.hub.restoreRoom(room.state, room.sessionTokens);
  }
  metrics.observe({
    rooms: () => realtime.hub.roomCount,
    roomMembers: () => realtime.hub.memberCount,
    connectedSockets: () => realtime.io.of("/").sockets.size,
  });
  // The port is only known after listen (PORT=0 in tests): the LAN origin is filled in below.
  const lanPage: { inviteOrigin: string | null } | undefined = samePortTls ? { inviteOrigin: null } : undefined;
  publishAppServices({
    store,
    modelBaseUrl: config.MODEL_BASE_URL,
    lan: lanPage,
    call: { provider: livekitSettings(config) ? "livekit" : "mesh", iceServers: () => iceServersFor(config) },
  });

  const nextHandler = nextApp?.getRequestHandler();
  const handleAppRequest = createRequestHandler({
    logger,
    store,
    version: packageJson.version,
    startedAt,
    security: { development: config.NODE_ENV === "development", livekitUrl: config.LIVEKIT_URL, modelBaseUrl: config.MODEL_BASE_URL },
    routes: [
      createMetricsHandler({ registry: metrics.registry, token: config.METRICS_TOKEN }),
      createVisionAssetHandler({ dir: path.resolve("public/vision") }),
      createLivekitTokenHandler({ livekit: livekitSettings(config), hub: realtime.router }),
    ],
    fallback: nextHandler ? (req, res) => nextHandler(req, res) : undefined,
  });
  appRequestHandler = (req, res) => void handleAppRequest(req, res);
  if (nextApp && config.NODE_ENV === "development") {
    // Next's hot reload uses WebSocket upgrades too; Socket.IO handles only its own path.
    const upgrade = nextApp.getUpgradeHandler();
    httpServer.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/socket.io/")) void upgrade(req, socket, head);
    });
  }

  await phase(
    "listen",
    () =>
      new Promise<void>((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(config.PORT, config.HOST, () => resolve());
      }),
  );
  const { port } = httpServer.address() as AddressInfo;
  const url = `${samePortTls ? "https" : "http"}://${config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST}:${port}`;
  const lanUrls = lanAddresses.map((address) => `https://${address}:${port}`);
  if (lanPage) lanPage.inviteOrigin = lanUrls[0] ?? null;

  let closing: Promise<void> | undefined;
  const close = (reason: "restart" | "shutdown" = "shutdown") => {
    closing ??= (async () => {
      logger.info({ reason }, "shutting down: no new connections");
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      // Only this process's clients: with REDIS_URL a plain emit would reach every process's.
      realtime.io.local.emit("server:shutdown", { reason });
      await saveRoomsForRestart(path.resolve(config.DATA_DIR), realtime.hub.exportRooms(), logger);
      realtime.hub.dispose();
      realtime.router.dispose();
      await realtime.io.close();
      await presence.close();
      httpServer.closeAllConnections();
      samePortTls?.closeAllConnections();
      await httpClosed;
      await nextApp?.close();
      await matches.close();
      await store.close();
      publishAppServices(undefined);
      process.off("uncaughtException", onUncaughtException);
      process.off("unhandledRejection", onUnhandledRejection);
      logger.info("shutdown complete");
    })();
    return closing;
  };

  const lan = samePortTls && lanCertificate ? { urls: lanUrls, fingerprint256: lanCertificate.fingerprint256, connections: samePortTls.counts } : undefined;
  return { url, port, httpServer, realtime, store, matches, lan, close };
}
