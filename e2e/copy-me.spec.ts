/**
 * "Copy me" and best moments (issue 24) with real Chromium, fake cameras and real inference on
 * phone-size screens: Ana leads on the messi5 camera and strikes its pose; Ben (messi5, in Korean)
 * copies it and scores, and Ana is paid for the friend who matched. The saved match shows the
 * copy round with Ana's name and pose. Ana shares her best moment (the default), Ben turned it
 * off: both podiums show her still and his figure. Two phones, not three: on the 2-core CI
 * machine a third browser made this test take 7 minutes and lose its seats to starved pages; a
 * friend who does not match (and so pays the leader nothing) is in tests/integration/copy-rounds.test.ts.
 * Screenshots of the strike, the copy and the results in both languages are saved under
 * test-results/copy-me-* for a reviewer.
 *
 * The "copy-me" playlist's fallback for this round is messi5's own pose too, so the test tells a
 * struck pose from a fallback by the target's id (`leader-0`), never by who scored.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page, TestInfo } from "@playwright/test";
import { test, expect } from "./support/players";
import { createRoom, joinByLink, settleFraming } from "./support/room";

const PHONE = { viewport: { width: 390, height: 844 } };
const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

/** Records, in the page, each change of the copy round's part, the leader's camera and the note. */
async function recordCopyParts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __copyParts: string[] }).__copyParts = seen;
    const record = () => {
      const part = document.querySelector(".game-main")?.getAttribute("data-copy-part");
      if (!part) return;
      const video = document.querySelector("[data-testid=leader-video]")?.getAttribute("data-size") ?? "";
      const note = document.querySelector("[data-testid=stage-note]")?.textContent ?? "";
      const target = document.querySelector("[data-testid=target]")?.getAttribute("data-target") ?? "";
      const entry = `${part}|${video}|${note}|${target}`;
      if (seen.at(-1) !== entry) seen.push(entry);
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}
const copyParts = (page: Page) => page.evaluate(() => (window as unknown as { __copyParts: string[] }).__copyParts);

const total = async (page: Page, nickname: string) => Number(await page.getByTestId("ranking-row").filter({ hasText: nickname }).getAttribute("data-total"));

test("a friend leads: the struck pose is the target, a copier scores, the leader is paid, history keeps it", async ({ players }, testInfo) => {
  test.setTimeout(420_000);
  const ana = await players.launch({ name: "ana-leader", video: "messi5", contextOptions: PHONE, cameraFps: 10 });
  const ben = await players.launch({ name: "ben-copier", video: "messi5", contextOptions: { ...PHONE, locale: "ko-KR" }, cameraFps: 10 });

  for (const player of [ana, ben]) await recordCopyParts(player.page);
  const { link } = await createRoom(ana.page, "Ana", "copy-me");
  await joinByLink(ben.page, link, "Ben");
  await expect(ana.page.getByTestId("member")).toHaveCount(2);
  // Best moments are shared by default; Ben turns it off before the game.
  for (const player of [ana, ben]) await expect(player.page.getByTestId("share-moment")).toBeChecked();
  await ben.page.getByTestId("share-moment").uncheck();
  // "More time": a 12 s strike leaves a loaded 2-core machine room to see the pose held.
  await ana.page.getByTestId("time-scale-2").check();
  await ana.page.getByTestId("start-game").click();
  for (const player of [ana, ben]) await settleFraming(player.page, 240_000);

  // The strike: Ana (the first to join) leads; the others watch her camera, large. Each phase
  // lasts seconds while three loaded browsers answer Playwright slowly: the pages record what they
  // showed (recordCopyParts) and the test checks the record afterwards; screenshots are taken at once.
  await expect(ana.page.getByTestId("game-stage")).toHaveAttribute("data-stage", "strike", { timeout: 240_000 });
  await Promise.all([snap(ana.page, testInfo, "copy-me-strike-leader-en"), snap(ben.page, testInfo, "copy-me-strike-watch-ko")]);
  // Copying: the target is Ana's pose (not the library fallback), beside her camera.
  await expect(ben.page.getByTestId("game-stage")).toHaveAttribute("data-stage", "round", { timeout: 30_000 });
  await Promise.all([snap(ben.page, testInfo, "copy-me-copy-ko"), snap(ana.page, testInfo, "copy-me-leading-en")]);
  // Ben's camera matches the pose and earns an award.
  await expect(ben.page.getByTestId("stage-banner")).toHaveText(/PERFECT|GOOD|퍼펙트|굿/, { timeout: 30_000 });
  await expect(ana.page.getByTestId("game-stage")).toHaveAttribute("data-display", "result", { timeout: 40_000 });
  await snap(ana.page, testInfo, "copy-me-round-result-en");

  // What each page showed, in order: part | leader's camera | the note | the target's id.
  const [anaParts, benParts] = (await Promise.all([ana, ben].map((player) => copyParts(player.page)))) as [string[], string[]];
  // Ana struck (asked to step back first, perhaps), the room took her pose once, then she was copied.
  expect(anaParts.some((part) => /^strike-lead\|\|(Strike a pose and hold it!|Step back)/.test(part))).toBe(true);
  // Once taken, her screen draws the pose she set.
  expect(anaParts).toContain("strike-taken||Got it! Your friends copy your pose next|leader-0");
  // The leader sees the pose it set, as the others copy it.
  expect(anaParts).toContain("leading||Your friends are copying you|leader-0");
  // The room took her pose once. A refusal before it is allowed, if only "implausible_pose": the
  // room judges the pose by when her meter's readings arrived, and on a loaded 2-core machine a
  // stalled server can squeeze them; the page offers again half a second later (seen in CI once).
  const { accepted, ...refused } = ((await ana.page.evaluate(() => window.__poseparty?.leaderPoses)) ?? {}) as Record<string, number>;
  expect(accepted).toBe(1);
  expect(Object.keys(refused).filter((code) => code !== "implausible_pose")).toEqual([]);
  // Ben watched Ana's camera large during the strike, then copied her pose beside it, small.
  expect(benParts).toContain("strike-watch|large|Ana 님이 포즈를 잡는 중: 잘 보세요!|");
  expect(benParts).toContain("follow|small|Ana 님을 따라 하세요!|leader-0");
  // Never a fallback: the round's target was Ana's pose all along.
  for (const parts of [anaParts, benParts]) expect(parts.filter((part) => part.startsWith("fallback"))).toEqual([]);

  for (const player of [ana, ben]) await expect(player.page.getByTestId("results")).toBeVisible({ timeout: 90_000 });
  // Ana: paid in full for Ben's copy (every friend matched), plus her own library round.
  expect(await total(ana.page, "Ana")).toBeGreaterThanOrEqual(800);
  expect(await total(ana.page, "Ben")).toBeGreaterThan(0);
  // The round-by-round table names the copy round by the pose played: Ana's.
  await expect(ana.page.getByTestId("round-breakdown")).toContainText("Ana's pose");

  // Best moments: Ana's still (she shares), Ben's best round's figure (he does not), on both phones.
  for (const player of [ana, ben]) {
    const row = (name: string) => player.page.getByTestId("ranking-row").filter({ hasText: name });
    const still = row("Ana").getByTestId("best-moment");
    await expect(still, `${player.name} sees Ana's still`).toBeVisible({ timeout: 20_000 });
    await expect(still).toHaveAttribute("src", /^data:image\/jpeg;base64,/);
    expect(await still.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0);
    await expect(row("Ben").getByTestId("best-moment")).toHaveCount(0);
    await expect(row("Ben").getByTestId("best-moment-figure")).toBeVisible();
  }
  await expect(ana.page.getByRole("img", { name: "Ana's best moment" })).toBeVisible();
  await expect(ben.page.getByRole("img", { name: "Ana의 베스트 순간" })).toBeVisible();
  await expect(ben.page.getByTestId("share-moment")).not.toBeChecked();
  for (const [player, name] of [
    [ana, "copy-me-results-en"],
    [ben, "copy-me-results-ko"],
  ] as const) {
    await player.page.getByTestId("results").evaluate((results) => results.scrollIntoView({ block: "start" }));
    await snap(player.page, testInfo, name);
    // The results with stills, a figure and the setting pass axe (the whole screen: accessibility.spec.ts).
    const audit = await new AxeBuilder({ page: player.page }).setLegacyMode(true).include('[data-testid="results"]').withTags(WCAG_21_AA).analyze();
    expect(audit.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`)).toEqual([]);
  }

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
