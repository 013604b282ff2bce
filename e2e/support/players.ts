/**
 * Players for end-to-end tests: each player is its OWN Chromium process, because one browser
 * process has only one fake camera file. Use the `players` fixture:
 *
 *   import { test, expect } from "./support/players";
 *   test("two players", async ({ players }) => {
 *     const alice = await players.launch({ name: "alice", video: "messi5" });
 *     const bob = await players.launch({ name: "bob", video: "astronaut" });
 *     await alice.page.goto("/");
 *   });
 *
 * Everything launched is closed at the end of the test. On failure each player's console log is
 * attached to the report. Playwright's runner instruments these browsers like its own, so the
 * config's `screenshot` and `trace` settings cover every player's page as well.
 */
import { test as base, chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, E2E_BASE_URL, PHONE_VIEWPORT, chromiumExecutablePath } from "./chromium";
import { fakeVideo, type FakeVideo, type FakeVideoName } from "./fakeVideo";

export { expect } from "@playwright/test";

export interface PlayerOptions {
  /** Fake camera video; without one Chromium shows its built-in test pattern. */
  video?: FakeVideoName;
  /**
   * The fake camera's frame rate (default 30). Three browsers in a call on two cores spend most
   * of the machine encoding and decoding each other's video (e2e/README.md, "Load"): tests about
   * something else than the call's picture may ask for fewer frames.
   */
  cameraFps?: number;
  /** A moving, noisy picture (fakeVideo's `motion`): the encoder then fills the bitrate it is allowed, as a real camera does. */
  cameraMotion?: boolean;
  /** Used in logs and attachment names. */
  name?: string;
  /** Defaults to the e2e server's address. */
  baseURL?: string;
  /** Extra context options (locale, hasTouch, ...) on top of the phone viewport. */
  contextOptions?: BrowserContextOptions;
  /** Another Chromium to start, e.g. a wrapper that runs it in a network namespace (e2e/support/netlab.ts). */
  executablePath?: string;
  /** Command-line switches on top of CHROMIUM_ARGS. */
  extraArgs?: readonly string[];
}

export interface Player {
  name: string;
  video: FakeVideo | undefined;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console messages and page errors seen so far, each prefixed with its kind. */
  logs: string[];
  close(): Promise<void>;
}

let unnamed = 0;

/** Launch one player's browser (own process, own fake camera), context and page. */
export async function launchPlayer(options: PlayerOptions = {}): Promise<Player> {
  const name = options.name ?? `player${++unnamed}`;
  const video = options.video ? fakeVideo(options.video, undefined, options.cameraFps, options.cameraMotion) : undefined;
  const args = [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])];
  if (video) args.push(`--use-file-for-fake-video-capture=${video.path}`);
  const baseURL = options.baseURL ?? E2E_BASE_URL;

  const browser = await chromium.launch({ executablePath: options.executablePath ?? chromiumExecutablePath(), args, headless: true });
  try {
    const context = await browser.newContext({ viewport: PHONE_VIEWPORT, ...options.contextOptions, baseURL });
    await context.grantPermissions(["camera", "microphone"], { origin: new URL(baseURL).origin });
    const page = await context.newPage();
    const logs: string[] = [];
    page.on("console", (msg) => logs.push(`${msg.type()}: ${msg.text()}`));
    page.on("pageerror", (err) => logs.push(`pageerror: ${err.message}`));
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await browser.close();
    };
    return { name, video, browser, context, page, logs, close };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

export interface Players {
  /** Launch a player now; it is closed at the end of the test. */
  launch(options?: PlayerOptions): Promise<Player>;
  /** Every player launched in this test, in order. */
  readonly all: readonly Player[];
}

export const test = base.extend<{ players: Players }>({
  players: async ({ baseURL }, use, testInfo) => {
    const launched: Player[] = [];

    await use({
      all: launched,
      async launch(options: PlayerOptions = {}): Promise<Player> {
        const player = await launchPlayer({
          ...options,
          name: options.name ?? `player${launched.length + 1}`,
          baseURL: options.baseURL ?? baseURL,
        });
        launched.push(player);
        return player;
      },
    });

    const failed = testInfo.status !== testInfo.expectedStatus;
    await Promise.allSettled(
      launched.map(async (player) => {
        try {
          const label = player.name.replace(/[^\w.-]+/g, "_");
          if (failed) {
            await testInfo.attach(`${label}-console.txt`, { body: player.logs.join("\n"), contentType: "text/plain" });
          }
        } finally {
          await player.close();
        }
      }),
    );
  },
});
