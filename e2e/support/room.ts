/** Room steps shared by the end-to-end specs, done through the UI as a player would. */
import { expect, type Page } from "@playwright/test";
import type { TestPlaylistId } from "@/core/playlist";

/** Creates a room from the home page; returns its code and the invitation link. */
export async function createRoom(page: Page, nickname: string, testPlaylist?: TestPlaylistId): Promise<{ code: string; link: string }> {
  await page.goto("/");
  await page.getByTestId("nickname-input").fill(nickname);
  await page.getByTestId("create-room").click();
  await expect(page.getByTestId("room-code")).toBeVisible();
  const code = ((await page.getByTestId("room-code").textContent()) ?? "").trim();
  const link = await page.getByTestId("room-link").inputValue();
  if (testPlaylist) {
    // The host's tab keeps its seat across the reload (session token).
    await page.goto(`/r/${code}?testPlaylist=${testPlaylist}`);
    await expect(page.getByTestId("room-code")).toHaveText(code);
  }
  return { code, link };
}

export async function joinByLink(page: Page, link: string, nickname: string): Promise<void> {
  await page.goto(link);
  await page.getByTestId("nickname-input").fill(nickname);
  await page.getByTestId("join-submit").click();
  await expect(page.getByTestId("member-list")).toBeVisible();
}

/**
 * Waits until this player's lobby has loaded and checked the camera's picture. When the framing
 * check fails (its camera does not show what the playlist needs), taps "Play anyway", as a player
 * who cannot fix it would: the game waits for a player fixing the framing (up to the deadline).
 * Returns what happened; "started" when the game began before the check was seen.
 */
export async function settleFraming(page: Page, timeout: number): Promise<"passed" | "skipped" | "started"> {
  const playAnyway = page.getByTestId("framing-play-anyway");
  const passed = page.locator('[data-testid="lobby"][data-framing="ok"]');
  const game = page.getByTestId("game-stage");
  await expect(playAnyway.or(passed).or(game).first()).toBeVisible({ timeout });
  if (await playAnyway.isVisible()) {
    await playAnyway.click();
    return "skipped";
  }
  return (await passed.isVisible()) ? "passed" : "started";
}

/** Decoded frames of the own camera and of each friend's tile. */
export function callFrames(page: Page): Promise<{ self: number; remote: number[] }> {
  return page.evaluate(() => {
    const frames = (video: HTMLVideoElement | null | undefined) => (video && video.videoWidth > 0 ? video.getVideoPlaybackQuality().totalVideoFrames : 0);
    const self = frames(document.querySelector<HTMLVideoElement>('[data-testid="self-tile"] video'));
    const remote = [...document.querySelectorAll('[data-testid="remote-tile"]')].map((tile) => frames(tile.querySelector("video")));
    return { self, remote };
  });
}
