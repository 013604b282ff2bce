/**
 * A whole match with real inference: one fake camera shows messi5.jpg, the
 * other an empty scene; the test playlist's targets are messi5's own pose.
 */
import { test, expect } from "./support/players";
import { createRoom, joinByLink, settleFraming } from "./support/room";

test("the player striking the pose scores, the empty scene does not, and history keeps the match", async ({ players }) => {
  test.setTimeout(300_000);
  const messi = await players.launch({ name: "messi", video: "messi5" });
  const empty = await players.launch({ name: "empty", video: "empty" });

  const { link } = await createRoom(messi.page, "Messi", "messi");
  await joinByLink(empty.page, link, "Nobody");
  await messi.page.getByTestId("start-game").click();
  // Nobody is in the empty scene's picture: that player plays anyway (the framing check would
  // otherwise hold the game until the lobby's deadline).
  expect(await settleFraming(empty.page, 180_000)).toBe("skipped");

  // Lobby -> countdown -> round 1 with the target shown.
  for (const player of [messi, empty]) {
    await expect(player.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player", { timeout: 180_000 });
  }
  await expect(messi.page.getByTestId("target")).toHaveAttribute("data-target", /test-messi5/);
  await expect(messi.page.getByTestId("game-stage")).toHaveAttribute("data-stage", "round", { timeout: 15_000 });

  // The camera pose matches the target: the live meter climbs and the hold earns an award.
  await expect
    .poll(async () => Number(await messi.page.getByTestId("similarity-meter").getAttribute("data-similarity")), { timeout: 20_000 })
    .toBeGreaterThan(0.8);
  await expect(messi.page.getByTestId("stage-banner")).toHaveText(/PERFECT|GOOD/, { timeout: 20_000 });

  // Both see the results with the ranking: Messi first with points, Nobody last with 0.
  for (const player of [messi, empty]) {
    await expect(player.page.getByTestId("results")).toBeVisible({ timeout: 60_000 });
    const rows = player.page.getByTestId("ranking-row");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText("Messi");
    await expect(rows.nth(0)).toHaveAttribute("data-rank", "1");
    expect(Number(await rows.nth(0).getAttribute("data-total"))).toBeGreaterThan(0);
    await expect(rows.nth(1)).toContainText("Nobody");
    await expect(rows.nth(1)).toHaveAttribute("data-total", "0");
  }
  await expect(messi.page.getByTestId("round-breakdown").locator("tbody tr")).toHaveCount(2);

  // The match was saved before the results showed: history has it after a reload.
  const matchHref = await messi.page.getByTestId("match-link").getAttribute("href");
  expect(matchHref).toMatch(/^\/history\/[0-9a-f-]{36}$/);
  await messi.page.goto("/history");
  await messi.page.reload();
  const match = messi.page.getByTestId("match").first();
  await expect(match).toContainText("Messi");
  await expect(match).toContainText("Nobody");
  await messi.page.goto(matchHref!);
  await expect(messi.page.getByTestId("match-ranking")).toContainText("Messi");
  await expect(messi.page.getByTestId("match-round")).toHaveCount(2);
});
