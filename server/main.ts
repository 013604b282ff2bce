/** Entry point: `npm start` / `npm run dev`. */
import { ConfigError, loadConfig, type AppConfig } from "./config";
import { createLogger } from "./logger";
import { startPoseServer } from "./app";

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
  const logger = createLogger(config);
  logger.info({ phase: "config", ms: Math.round(performance.now() - began) }, "start-up phase config done");

  const server = await startPoseServer({ config, logger, withNext: true });
  logger.info({ url: server.url, port: server.port }, `ready in ${Math.round(performance.now() - began)} ms`);

  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal }, "signal received");
    server.close(signal === "SIGTERM" ? "restart" : "shutdown").then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error("PoseParty failed to start:", error);
  process.exit(1);
});
