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
  },
});
