/**
 * The lobby's framing check and sounds, with real Chromium, fake cameras and real inference:
 * the empty scene fails the check with its instruction, messi5 passes, and the game's sounds are
 * decoded in the lobby, before the game screen shows, so the first 3-2-1 tick plays.
 *
 * Playlist: "messi" (pose rounds only). messi5 shows a footballer from head to feet (the pose
 * model sees both ankles in the picture at visibility 0.8-0.9, core/targets/measured.json), so it
 * passes the pose check. A playlist with head rounds would fail on messi5: its face is too small
 * for the short-range face detector (no face found, measured.json), which proves nothing here.
 */
import type { Page } from "@playwright/test";
import { test, expect } from "./support/players";
import { createRoom, joinByLink } from "./support/room";

interface SoundSeen {
  /** performance.now() when the game screen first appeared; null until it has. */
  gameShownAt: number | null;
  /** window.__poseparty.sound at that moment. */
  soundAtGameShown: { stage: string; loadedBytes: number; totalBytes: number; audio: string } | null;
  /** Every sound file's request, and when its response ended, as of that moment. */
  soundFilesAtGameShown: { name: string; responseEnd: number }[];
  /** The game's stage when its screen appeared ("waiting" or "countdown" unless the page was starved past it). */
  stageAtShown: string | null;
}

/** Records, in the page, what the sounds had done when the game screen appeared. */
async function watchGameStart(page: Page): Promise<void> {
  await page.addInitScript(() => {
    // The lobby page makes hundreds of requests; keep every one in the timeline.
    performance.setResourceTimingBufferSize(2000);
    const seen: SoundSeen = { gameShownAt: null, soundAtGameShown: null, soundFilesAtGameShown: [], stageAtShown: null };
    (window as unknown as { __soundSeen: SoundSeen }).__soundSeen = seen;
    const observer = new MutationObserver(() => {
      const game = document.querySelector<HTMLElement>('[data-testid="game-stage"]');
      if (seen.gameShownAt !== null || !game) return;
      seen.gameShownAt = performance.now();
      seen.stageAtShown = game.dataset.stage ?? null;
      const sound = (window as unknown as { __poseparty?: { sound?: SoundSeen["soundAtGameShown"] } }).__poseparty?.sound;
      seen.soundAtGameShown = sound ? (JSON.parse(JSON.stringify(sound)) as SoundSeen["soundAtGameShown"]) : null;
      seen.soundFilesAtGameShown = performance
        .getEntriesByType("resource")
        .filter((entry) => entry.name.includes("/sounds/generated/") && entry.name.endsWith(".mp3"))
        .map((entry) => ({ name: entry.name, responseEnd: (entry as PerformanceResourceTiming).responseEnd }));
      observer.disconnect();
    });
    document.addEventListener("DOMContentLoaded", () => observer.observe(document.body, { subtree: true, childList: true }));
  });
}

/** This phone's clock runs 90 s ahead of the server's (phones' clocks are often off). */
async function skewClock(page: Page, offsetMs: number): Promise<void> {
  await page.addInitScript((offset) => {
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() + offset;
  }, offsetMs);
}

test("the framing check fails on the empty scene, passes on messi5, and sounds are ready for the 3-2-1", async ({ players }, testInfo) => {
  test.setTimeout(360_000);
  const messi = await players.launch({ name: "messi", video: "messi5", cameraFps: 15 });
  const empty = await players.launch({
    name: "empty",
    video: "empty",
    cameraFps: 15,
    contextOptions: { viewport: { width: 390, height: 844 } },
  });
  for (const player of [messi, empty]) await watchGameStart(player.page);
  await skewClock(empty.page, 90_000);

  const { link } = await createRoom(messi.page, "Messi", "messi");
  await joinByLink(empty.page, link, "Nobody");
  await messi.page.getByTestId("start-game").click();

  // The empty scene: nobody in the picture, so the check fails with one plain instruction.
  const framing = empty.page.getByTestId("framing-check");
  await expect(framing).toBeVisible({ timeout: 240_000 });
  await expect(framing).toHaveAttribute("data-instruction", "stepIntoView");
  await expect(empty.page.getByTestId("framing-instruction")).toHaveText("Step into the camera's view");
  await expect(empty.page.getByTestId("framing-missing")).toContainText("feet");
  // The preview is the camera itself (moved out of the call grid while the check shows).
  await expect(framing.getByTestId("self-view")).toHaveAttribute("data-camera", "ready");
  // It keeps checking, live, and keeps failing (a later check gives the same instruction).
  await empty.page.waitForTimeout(2_000);
  await expect(framing).toHaveAttribute("data-instruction", "stepIntoView");

  // messi5 passes: its lobby is ready and says so; it sees its friend "framing", not ready.
  await expect(messi.page.getByTestId("lobby")).toHaveAttribute("data-framing", "ok", { timeout: 240_000 });
  await expect(messi.page.getByTestId("framing-check")).toHaveCount(0);
  await expect(messi.page.getByTestId("framing-passed")).toBeVisible();
  const nobodyRow = messi.page.locator('[data-testid="friend-row"]', { hasText: "Nobody" });
  await expect(nobodyRow).toHaveAttribute("data-status", "framing");
  await expect(nobodyRow).toContainText("framing");
  // The game waits for a player fixing the picture (until the deadline or "Play anyway").
  await messi.page.waitForTimeout(1_500);
  await expect(messi.page.getByTestId("room-phase")).toHaveAttribute("data-phase", "preloading");
  // The host may still start with those ready.
  await expect(messi.page.getByTestId("start-early")).toBeVisible();

  // One clock: the phone 90 s ahead shows the same countdown as the host (the server's clock).
  await expect
    .poll(async () => {
      const [skewed, host] = await Promise.all([
        empty.page.getByTestId("lobby-deadline").getAttribute("data-seconds"),
        messi.page.getByTestId("lobby-deadline").getAttribute("data-seconds"),
      ]);
      return Math.abs(Number(skewed) - Number(host));
    })
    .toBeLessThanOrEqual(2);
  expect(Number(await empty.page.getByTestId("lobby-deadline").getAttribute("data-seconds"))).toBeGreaterThan(5);

  // Every bar, the sounds' included, is done; a phone-size picture of the lobby for reviewers.
  for (const asset of ["runtime", "pose_lite", "sounds"]) {
    await expect(empty.page.locator(`[data-testid="asset-bar"][data-asset="${asset}"]`)).toHaveAttribute("data-stage", "ready");
  }
  const screenshot = await empty.page.screenshot({ fullPage: true, path: testInfo.outputPath("lobby-framing-390x844.png") });
  await testInfo.attach("lobby-framing-390x844.png", { body: screenshot, contentType: "image/png" });

  // Recorded for the progress weights (STEP_COST_MS in client/vision/preloader.ts), not asserted.
  const steps = await empty.page.evaluate(
    () =>
      (window as unknown as { __poseparty?: { lobby?: { assets: { key: string; createMs: number | null; warmupMs: number | null; downloadMs: number }[] } } })
        .__poseparty?.lobby?.assets,
  );
  testInfo.annotations.push({ type: "preload steps (empty page)", description: JSON.stringify(steps) });
  console.log(`preload steps (empty page): ${JSON.stringify(steps)}`);
  const checks = await empty.page.evaluate(() => (window as unknown as { __poseparty?: { framing?: unknown } }).__poseparty?.framing);
  console.log(`live framing checks (empty page): ${JSON.stringify(checks)}`);

  // "Play anyway": the friend is ready, and the game starts with both playing.
  await empty.page.getByTestId("framing-play-anyway").click();
  for (const player of [messi, empty]) {
    await expect(player.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player", { timeout: 30_000 });
  }

  const sawCountdown: string[] = [];
  for (const player of [messi, empty]) {
    const seen = await player.page.evaluate(() => (window as unknown as { __soundSeen: SoundSeen }).__soundSeen);
    // Every sound was fetched and decoded in the lobby, before the game screen appeared.
    expect(seen.soundAtGameShown, player.name).toMatchObject({ stage: "ready" });
    expect(seen.soundAtGameShown!.loadedBytes).toBe(seen.soundAtGameShown!.totalBytes);
    expect(seen.soundFilesAtGameShown.length, `${player.name}: the music and six effects`).toBe(7);
    for (const file of seen.soundFilesAtGameShown) {
      expect(file.responseEnd, file.name).toBeGreaterThan(0);
      expect(file.responseEnd, file.name).toBeLessThan(seen.gameShownAt!);
    }
    // The first sound of the game really played: howler started it on a running AudioContext. It
    // is the countdown's first tick whenever the page showed the countdown; a page starved of CPU
    // by two browsers on two cores can render its game screen only after the 3 s countdown.
    const first = await player.page.waitForFunction(
      () => (window as unknown as { __poseparty?: { sound?: { played: { name: string; playing: boolean }[] } } }).__poseparty?.sound?.played[0] ?? null,
      undefined,
      { timeout: 20_000 },
    );
    const firstSound = (await first.jsonValue()) as { name: string; playing: boolean };
    console.log(`${player.name}: game screen appeared at stage ${seen.stageAtShown}; first sound ${JSON.stringify(firstSound)}`);
    expect(firstSound.playing, `${player.name}: ${firstSound.name} played`).toBe(true);
    if (seen.stageAtShown === "waiting" || seen.stageAtShown === "countdown") {
      expect(firstSound.name).toBe("tick");
      sawCountdown.push(player.name);
    }
  }
  // The host's page at least (it starts the game and is never the slowest here) saw the countdown.
  expect(sawCountdown.length).toBeGreaterThan(0);
});

test("a camera that gives the check no frame still leaves the player a way on: Play anyway starts the game", async ({ players }) => {
  test.setTimeout(120_000);
  const host = await players.launch({ name: "host", video: "messi5", cameraFps: 10 });
  // Mocked: a camera whose frames never reach the page (a phone's camera that stalls after it
  // opened). The lobby's checks read `readyState`; from the Start tap on, every <video> reports none.
  await host.page.addInitScript(() => {
    const readyState = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "readyState")!;
    Object.defineProperty(HTMLMediaElement.prototype, "readyState", {
      get(this: HTMLMediaElement) {
        return (window as unknown as { __noFrames?: boolean }).__noFrames ? 0 : (readyState.get!.call(this) as number);
      },
    });
  });
  await createRoom(host.page, "Host", "messi");
  await host.page.evaluate(() => ((window as unknown as { __noFrames?: boolean }).__noFrames = true));
  await host.page.getByTestId("start-game").click();

  // Loaded, but no frame to check: the camera stays on screen with "Play anyway".
  const waiting = host.page.getByTestId("framing-waiting");
  await expect(waiting).toBeVisible({ timeout: 90_000 });
  await expect(waiting.getByTestId("self-view")).toHaveAttribute("data-camera", "ready");
  await host.page.getByTestId("framing-play-anyway").click();
  await expect(host.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player", { timeout: 30_000 });
});
