import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL(".", import.meta.url)) } },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    // Starting the embedded database (PGlite initdb) takes seconds, more on a loaded 2-core machine.
    hookTimeout: 120_000,
    // Four files at once on 2 cores: most integration files wait on real timers (rounds, grace
    // periods, retries), not on the CPU. Measured on the 2-core CI machine: 512 s one file at a
    // time, 152 s four at a time, every test passing.
    maxWorkers: 4,
  },
});
