/**
 * "Copy me" (issue 24) with real Chromium, fake cameras and real inference on phone-size screens:
 * Ana leads on the messi5 camera and strikes its pose; Ben (messi5, in Korean) copies it and
 * scores; Cho (an empty scene) cannot, and Ana is paid for the friend who matched. The saved match
 * shows the copy round with Ana's name and pose. Screenshots of the strike, the copy and the
 * results in both languages are saved under test-results/copy-me-* for a reviewer.
 *
 * The "copy-me" playlist's fallback for this round is messi5's own pose too, so the test tells a
 * struck pose from a fallback by the target's id (`leader-0`), never by who scored.
 */
import type { Page, TestInfo } from "@playwright/test";
import { test, expect } from "./support/players";
import { createRoom, joinByLink, settleFraming } from "./support/room";

const PHONE = { viewport: { width: 390, height: 844 } };

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

const total = async (page: Page, nickname: string) => Number(await page.getByTestId("ranking-row").filter({ hasText: nickname }).getAttribute("data-total"));

test("a friend leads: the struck pose is the target, a copier scores, the leader is paid, history keeps it", async ({ players }, testInfo) => {
  test.setTimeout(420_000);
  const ana = await players.launch({ name: "ana-leader", video: "messi5", contextOptions: PHONE, cameraFps: 10 });
  const ben = await players.launch({ name: "ben-copier", video: "messi5", contextOptions: { ...PHONE, locale: "ko-KR" }, cameraFps: 10 });
  const cho = await players.launch({ name: "cho-empty", video: "empty", contextOptions: PHONE, cameraFps: 10 });

  const { link } = await createRoom(ana.page, "Ana", "copy-me");
  await joinByLink(ben.page, link, "Ben");
  await joinByLink(cho.page, link, "Cho");
  await expect(ana.page.getByTestId("member")).toHaveCount(3);
  // "More time": a 12 s strike leaves a loaded 2-core machine room to see the pose held.
  await ana.page.getByTestId("time-scale-2").check();
  await ana.page.getByTestId("start-game").click();
  expect(await settleFraming(cho.page, 240_000)).toBe("skipped");

  // The strike: Ana (the first to join) leads; the others watch her camera, large.
  await expect(ana.page.getByTestId("game-stage")).toHaveAttribute("data-stage", "strike", { timeout: 240_000 });
  await expect(ana.page.getByTestId("stage-note")).toHaveText(/Strike a pose|Step back|Got it/);
  await expect(ben.page.getByTestId("leader-video")).toHaveAttribute("data-size", "large");
  await expect(ben.page.getByTestId("stage-note")).toContainText("Ana 님이 포즈를 잡는 중");
  await snap(ana.page, testInfo, "copy-me-strike-leader-en");
  await snap(ben.page, testInfo, "copy-me-strike-watch-ko");
  // Held still for a second, the pose goes to the room, which takes it.
  await expect(ana.page.locator(".game-main")).toHaveAttribute("data-copy-part", /strike-taken|leading/, { timeout: 20_000 });
  expect(await ana.page.evaluate(() => window.__poseparty?.leaderPoses)).toMatchObject({ accepted: 1 });

  // Copying: the target is Ana's pose (not the library fallback), beside her camera.
  await expect(ben.page.getByTestId("game-stage")).toHaveAttribute("data-stage", "round", { timeout: 30_000 });
  for (const follower of [ben, cho]) await expect(follower.page.getByTestId("target")).toHaveAttribute("data-target", "leader-0");
  await expect(ben.page.getByTestId("leader-video")).toHaveAttribute("data-size", "small");
  await expect(ben.page.getByTestId("stage-note")).toContainText("Ana 님을 따라 하세요");
  await expect(ana.page.getByTestId("stage-note")).toHaveText("Your friends are copying you");
  await snap(ben.page, testInfo, "copy-me-copy-ko");
  await snap(cho.page, testInfo, "copy-me-copy-en");

  // Ben's camera matches the pose and earns an award; the empty scene never does.
  await expect(ben.page.getByTestId("stage-banner")).toHaveText(/PERFECT|GOOD|퍼펙트|굿/, { timeout: 30_000 });
  await expect(ana.page.getByTestId("game-stage")).toHaveAttribute("data-display", "result", { timeout: 40_000 });
  await snap(ana.page, testInfo, "copy-me-round-result-en");

  for (const player of [ana, ben, cho]) await expect(player.page.getByTestId("results")).toBeVisible({ timeout: 90_000 });
  // Ana: paid for Ben's copy (one of two friends), and her own score in the library round.
  expect(await total(ana.page, "Ana")).toBeGreaterThanOrEqual(400);
  expect(await total(ana.page, "Ben")).toBeGreaterThan(0);
  expect(await total(ana.page, "Cho")).toBe(0);
  await snap(ana.page, testInfo, "copy-me-results-en");
  await snap(ben.page, testInfo, "copy-me-results-ko");

  // The saved match: the copy round with the leader's name and the pose she set.
  const matchHref = await ana.page.getByTestId("match-link").getAttribute("href");
  await ana.page.goto(matchHref!);
  const copyRound = ana.page.getByTestId("match-round").first();
  await expect(copyRound).toHaveAttribute("data-kind", "copy");
  await expect(copyRound.getByTestId("match-round-leader")).toHaveAttribute("data-leader", "Ana");
  await expect(copyRound.getByTestId("match-round-leader")).toContainText("Ana set this pose");
  await expect(copyRound.getByTestId("target-figure")).toBeVisible();
  await expect(copyRound.getByTestId("match-round-target")).toHaveText("Ana's pose");
  await snap(ana.page, testInfo, "copy-me-history-en");
});
