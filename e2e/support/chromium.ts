/**
 * One place for how the end-to-end tests start Chromium, shared by `playwright.config.ts` and
 * `players.ts` (which launches a separate browser per player).
 *
 * Playwright cannot download its own browsers here, so tests run Debian's Chromium
 * (`apt-get install chromium`), or whatever `CHROMIUM_PATH` points at.
 */

/** 3107 unless E2E_PORT says otherwise (parallel worktrees each need their own server). */
export const E2E_PORT = Number(process.env.E2E_PORT) || 3107;
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;

/** Phone portrait first: players join from phones. */
export const PHONE_VIEWPORT = { width: 360, height: 740 } as const;

export function chromiumExecutablePath(): string {
  return process.env.CHROMIUM_PATH || "/usr/bin/chromium";
}

export const CHROMIUM_ARGS: readonly string[] = [
  // As root Chromium refuses to start without this.
  "--no-sandbox",
  "--disable-gpu",
  // Without these, Chromium keeps opening connections that this closed network refuses.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  // Camera and microphone: auto-accept the prompt and use fake devices (a file, when given).
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];
