/**
 * Real life during a match, in real browsers: the player striking the pose hides the page
 * (screen off), then reloads it mid-game. The friend watches the scoreboard. The longer
 * `messi-long` test playlist (4 rounds of 12 s) leaves room for both on a slow 2-core machine.
 *
 * Headless Chromium never hides a page by itself, so hiding is emulated inside the page:
 * `document.visibilityState`/`hidden` are overridden and `visibilitychange` is dispatched,
 * which is exactly what the game's code listens to.
 */
import type { Page } from "@playwright/test";
import { test, expect } from "./support/players";
import { createRoom, joinByLink, settleFraming } from "./support/room";

async function setPageHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((isHidden) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (isHidden ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => isHidden });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

/** Records every status the friend's scoreboard shows for one player, in order, without gaps. */
async function recordStatuses(page: Page, playerId: string): Promise<void> {
  await page.evaluate((id) => {
    const seen: string[] = [];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    const record = () => {
      const status = document.querySelector(`[data-testid="score-row"][data-player="${id}"]`)?.getAttribute("data-status");
      if (status && seen.at(-1) !== status) seen.push(status);
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
    record();
  }, playerId);
}

function recordedStatuses(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(window as unknown as { __statuses: string[] }).__statuses]);
}

test("a hidden page shows as paused, and a reload mid-game keeps seat and score", async ({ players }) => {
  test.setTimeout(300_000);
  const friend = await players.launch({ name: "friend", video: "empty" });
  const messi = await players.launch({ name: "messi", video: "messi5" });

  const { link } = await createRoom(friend.page, "Friend", "messi-long");
  await joinByLink(messi.page, link, "Messi");
  await friend.page.getByTestId("start-game").click();
  // The empty scene fails the framing check: that player plays anyway (see e2e/game.spec.ts).
  expect(await settleFraming(friend.page, 180_000)).toBe("skipped");
  for (const player of [friend, messi]) {
    await expect(player.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player", { timeout: 180_000 });
  }
  const messiRow = friend.page.getByTestId("score-row").filter({ hasText: "Messi" });
  const messiId = await messiRow.getAttribute("data-player");
  expect(messiId).toBeTruthy();
  await recordStatuses(friend.page, messiId!);

  // Round 1: Messi holds the pose and earns points.
  await expect(messi.page.getByTestId("stage-banner")).toHaveText(/PERFECT|GOOD/, { timeout: 40_000 });
  await expect.poll(async () => Number(await messiRow.getAttribute("data-total")), { timeout: 10_000 }).toBeGreaterThan(0);

  // Screen off: the friend sees Messi paused; back on: playing again.
  await setPageHidden(messi.page, true);
  await expect(messiRow).toHaveAttribute("data-status", "paused", { timeout: 20_000 });
  await setPageHidden(messi.page, false);
  await expect(messiRow).toHaveAttribute("data-status", "playing", { timeout: 20_000 });
  const totalBeforeReload = Number(await messiRow.getAttribute("data-total"));

  // A reload mid-game: the tab's session token takes the same seat back, with its points.
  await messi.page.reload();
  await expect(messi.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player", { timeout: 60_000 });
  const selfRow = messi.page.locator(`[data-testid="score-row"][data-player="${messiId}"]`);
  expect(Number(await selfRow.getAttribute("data-total"))).toBeGreaterThanOrEqual(totalBeforeReload);

  // The match ends normally, with Messi's points from before the reload.
  await expect(friend.page.getByTestId("results")).toBeVisible({ timeout: 60_000 });
  const winner = friend.page.getByTestId("ranking-row").nth(0);
  await expect(winner).toContainText("Messi");
  expect(Number(await winner.getAttribute("data-total"))).toBeGreaterThanOrEqual(totalBeforeReload);
  await expect(messi.page.getByTestId("results")).toBeVisible({ timeout: 30_000 });
  await expect(messi.page.getByTestId("ranking-row").nth(0)).toContainText("Messi");

  // While the page reloaded, the friend saw Messi reconnecting, then playing again.
  const statuses = await recordedStatuses(friend.page);
  expect(statuses.slice(0, 3)).toEqual(["playing", "paused", "playing"]);
  expect(statuses).toContain("reconnecting");
  expect(statuses.slice(statuses.indexOf("reconnecting") + 1)).toContain("playing");
});
