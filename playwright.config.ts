import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, E2E_BASE_URL, PHONE_VIEWPORT, chromiumExecutablePath } from "./e2e/support/chromium";

const isCI = Boolean(process.env.CI);

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "test-results",
  // 2 cores and heavy pages (video, WASM inference): one test at a time.
  workers: 1,
  fullyParallel: false,
  // Tests must be deterministic: no retries, locally or in CI.
  retries: 0,
  forbidOnly: isCI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: E2E_BASE_URL,
    viewport: PHONE_VIEWPORT,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        viewport: PHONE_VIEWPORT,
        launchOptions: {
          executablePath: chromiumExecutablePath(),
          args: [...CHROMIUM_ARGS],
        },
      },
    },
  ],
  webServer: {
    // next build, then the custom server with a fresh DATA_DIR under e2e/.cache/.
    command: "npm run e2e:server",
    url: `${E2E_BASE_URL}/api/health`,
    timeout: 240_000,
    reuseExistingServer: !isCI,
    stdout: "pipe",
    stderr: "pipe",
  },
});
