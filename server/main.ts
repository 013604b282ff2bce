/** Entry point: `npm start` / `npm run dev`. */
import { ConfigError, loadConfig, missingRelayWarning, type AppConfig } from "./config";
import { createLogger } from "./logger";
import { startPoseServer } from "./app";
import { stopOnSignals } from "./signals";
import { createErrorReporter } from "./observability/errorReporting";
import { lanBanner } from "./lan/banner";
import packageJson from "../package.json" with { type: "json" };

async function main(): Promise<void> {
  const began = performance.now();
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  // Loaded only when SENTRY_DSN is set; error lines are then reported too (see logger.ts).
  const errorReporter = await createErrorReporter({ dsn: config.SENTRY_DSN, release: packageJson.version, environment: config.NODE_ENV });
  const logger = createLogger(config, { reportError: errorReporter?.report });
  // modules: from the process's start to main() running (Node itself and this bundle's imports).
  const rssMiB = Math.round(process.memoryUsage.rss() / 2 ** 20);
  logger.info({ phase: "modules", ms: Math.round(began), rssMiB }, "start-up phase modules done");
  logger.info({ phase: "config", ms: Math.round(performance.now() - began), rssMiB }, "start-up phase config done");

  const server = await startPoseServer({ config, logger, withNext: true });
  logger.info({ url: server.url, port: server.port, lanUrls: server.lan?.urls }, `ready in ${Math.round(performance.now() - began)} ms`);
  const relayWarning = missingRelayWarning(config);
  if (relayWarning) logger.warn({ setting: config.TURN_URLS ? "TURN_SECRET" : "TURN_URLS" }, relayWarning);
  // For the person at the laptop, whatever LOG_LEVEL says: where phones go, and a QR code to scan.
  if (server.lan) process.stdout.write(await lanBanner(server.lan));

  stopOnSignals(server, logger);
}

main().catch((error: unknown) => {
  console.error("PoseParty failed to start:", error);
  process.exit(1);
});
