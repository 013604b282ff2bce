/** SIGTERM/SIGINT: drain once (a second signal exits at once). Used by main.ts and the process tests. */
import type { Logger } from "pino";
import type { RunningServer } from "./app";

export function stopOnSignals(server: Pick<RunningServer, "close">, logger: Logger): void {
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal }, "signal received");
    // SIGTERM is what orchestrators send before a restart: clients are told to come back.
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
