/**
 * WCAG 2.1 A/AA on every screen a player meets (issue 25), audited by axe-core at phone size
 * (390x844), one phone in English and one in Korean, in one short party: home, the room with
 * the call, the lobby (loading, framing check, ready), a round of each kind while it is played,
 * the results with the podium, the match history sheet, the history page and a match page.
 *
 * Every violation of every screen is collected (soft assertions), so one run lists them all.
 * No rule is switched off.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page, Route, TestInfo } from "@playwright/test";
import { test, expect, type Player } from "./support/players";
import { createRoom, joinByLink } from "./support/room";

const PHONE = { viewport: { width: 390, height: 844 } };
const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Runs axe on the page as it is now; every violation becomes a soft failure naming the screen. */
async function audit(player: Player, screen: string, testInfo: TestInfo, page: Page = player.page): Promise<void> {
  const lang = await page.evaluate(() => document.documentElement.lang);
  const label = `${screen} (${lang})`;
  const results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  const found = results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) => `${node.target.join(" ")} :: ${node.failureSummary?.split("\n").slice(1).join(" ")}`),
  }));
  if (found.length > 0) await testInfo.attach(`axe-${screen}-${lang}.json`, { body: JSON.stringify(found, null, 2), contentType: "application/json" });
  expect.soft(found, `axe violations on ${label}`).toEqual([]);
}

/** Headings never skip a level going down (h1 then h2, not h1 then h3), and there is one h1. */
async function expectHeadingOrder(page: Page, screen: string): Promise<void> {
  const levels = await page
    .locator("h1, h2, h3, h4, h5, h6")
    .evaluateAll((headings) =>
      headings.filter((heading) => (heading as HTMLElement).offsetParent !== null || heading.closest("dialog")).map((heading) => Number(heading.tagName[1])),
    );
  expect
    .soft(
      levels.filter((level) => level === 1),
      `${screen}: one h1`,
    )
    .toHaveLength(1);
  const skips = levels.filter((level, index) => index > 0 && level > levels[index - 1]! + 1);
  expect.soft(skips, `${screen}: headings ${levels.join(",")} skip no level`).toEqual([]);
}

/**
 * Tab from the top of the page: every visible control is reached and none traps focus. A radio
 * group is one Tab stop (arrow keys move inside it), so reaching any of its radios counts.
 */
async function expectKeyboardReach(page: Page, screen: string): Promise<void> {
  const controls = await page
    .locator("a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex='-1'])")
    .evaluateAll((elements) =>
      elements
        .filter((element) => (element as HTMLElement).offsetParent !== null)
        .map((element, index) => {
          const input = element as HTMLInputElement;
          const stop = input.type === "radio" ? `radio:${input.name}` : `control:${index}`;
          input.dataset.tabStop = stop;
          return `${stop} ${element.outerHTML.slice(0, 80)}`;
        }),
    );
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const reached = new Set<string>();
  for (let press = 0; press < controls.length + 3; press++) {
    await page.keyboard.press("Tab");
    reached.add(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.tabStop ?? ""));
  }
  expect
    .soft(
      controls.filter((control) => !reached.has(control.split(" ")[0]!)),
      `${screen}: controls Tab never reaches`,
    )
    .toEqual([]);
}

async function snap(player: Player, screen: string, testInfo: TestInfo): Promise<void> {
  const file = testInfo.outputPath(`a11y-${screen}-${player.name}.png`);
  await player.page.screenshot({ path: file });
  await testInfo.attach(`a11y-${screen}-${player.name}`, { path: file, contentType: "image/png" });
}

interface GameRecord {
  /** What the game's polite live region said, in order, with what the screen showed then. */
  said: { text: string; display: string }[];
  /** The highest number the banner counted down from during a round (its length in seconds). */
  roundSeconds: number;
  /** Every sound cue's visual twin the page showed, in order. */
  cues: string[];
  /** What the live meter's words said once the pose was held (the bar also turns gold). */
  heldLabel: string | null;
}

/** Records in the page what the game said and showed: rounds move faster than a test can poll two browsers. */
async function recordGame(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const record: GameRecord = { said: [], roundSeconds: 0, cues: [], heldLabel: null };
    let lastCue = "";
    const said = record.said;
    (window as unknown as { __game: GameRecord }).__game = record;
    const observer = new MutationObserver(() => {
      const stage = document.querySelector<HTMLElement>('[data-testid="game-stage"]');
      const banner = Number(document.querySelector('[data-testid="stage-banner"]')?.textContent);
      if (stage?.dataset.display === "round" && Number.isFinite(banner)) record.roundSeconds = Math.max(record.roundSeconds, banner);
      if (document.querySelector('[data-testid="similarity-meter"][data-level="done"]')) {
        record.heldLabel ??= document.querySelector('[data-testid="meter-label"]')?.textContent ?? "";
      }
      const cue = document.querySelector<HTMLElement>('[data-testid="sound-cue"]');
      if (cue && cue.checkVisibility() && `${cue.dataset.seq}:${cue.dataset.cue}` !== lastCue) {
        lastCue = `${cue.dataset.seq}:${cue.dataset.cue}`;
        record.cues.push(cue.dataset.cue ?? "?");
      }
      const region = document.querySelector('[data-testid="game-announcer"]');
      const text = region?.textContent ?? "";
      if (region && text !== said.at(-1)?.text) {
        said.push({ text, display: document.querySelector<HTMLElement>('[data-testid="game-stage"]')?.dataset.display ?? "?" });
      }
    });
    document.addEventListener("DOMContentLoaded", () => observer.observe(document.body, { subtree: true, childList: true, characterData: true }));
  });
}

/**
 * Larger text (WCAG 1.4.4): the page at 200 % text size, as a phone's font setting makes it. Every
 * size in the stylesheet is in rem, so doubling the root's doubles the text. Nothing may need
 * sideways scrolling and every control stays inside the 390 px; the picture is saved to look at.
 */
async function expectLargeTextFits(player: Player, screen: string, testInfo: TestInfo): Promise<void> {
  const { page } = player;
  const style = await page.addStyleTag({ content: "html { font-size: 200% !important; }" });
  try {
    const { overflow, outside } = await page.evaluate(() => {
      const width = window.innerWidth;
      const controls = [...document.querySelectorAll("a[href], button, input, select, textarea, [role=status]")].filter(
        (element) => (element as HTMLElement).offsetParent !== null && !element.closest(".visually-hidden"),
      );
      return {
        overflow: document.documentElement.scrollWidth - width,
        outside: controls
          .filter((element) => {
            const box = element.getBoundingClientRect();
            return box.left < -1 || box.right > width + 1;
          })
          .map((element) => element.outerHTML.slice(0, 80)),
      };
    });
    expect.soft(overflow, `${screen} at 200 %: no sideways scrolling`).toBeLessThanOrEqual(0);
    expect.soft(outside, `${screen} at 200 %: controls inside the screen`).toEqual([]);
    const file = testInfo.outputPath(`a11y-${screen}-${player.name}-200pc.png`);
    await page.screenshot({ path: file, fullPage: true });
    await testInfo.attach(`a11y-${screen}-${player.name}-200pc`, { path: file, contentType: "image/png" });
  } finally {
    await style.evaluate((element) => (element as HTMLElement).remove());
  }
}

/**
 * Colour independence: the page as a deuteranope sees it (Chromium's own simulation), saved to
 * look at: the meter, grades and ready states must still read, by their words and marks.
 */
async function snapDeuteranopia(player: Player, screen: string, testInfo: TestInfo): Promise<void> {
  const cdp = await player.context.newCDPSession(player.page);
  try {
    await cdp.send("Emulation.setEmulatedVisionDeficiency", { type: "deuteranopia" });
    const file = testInfo.outputPath(`a11y-${screen}-${player.name}-deuteranopia.png`);
    await player.page.screenshot({ path: file });
    await testInfo.attach(`a11y-${screen}-${player.name}-deuteranopia`, { path: file, contentType: "image/png" });
  } finally {
    await cdp.send("Emulation.setEmulatedVisionDeficiency", { type: "none" });
    await cdp.detach();
  }
}

/** A round's screen as it was at one instant: its DOM, to be audited once the round is over. */
interface FrozenScreen {
  player: Player;
  screen: string;
  url: string;
  html: string;
}

/**
 * Takes the page's DOM as it is now, with the state HTML does not carry written in (ticked boxes,
 * typed text) and without its scripts. A round lasts 12 s here, and on a loaded 2-core machine
 * axe, the heading check and the 200 % text check on two live pages took 40 s: the next round
 * was missed. Auditing this still copy afterwards checks the same elements, attributes and
 * stylesheets; only camera pictures are missing, and axe cannot judge contrast over those anyway.
 */
async function freeze(player: Player, screen: string): Promise<FrozenScreen> {
  const html = await player.page.evaluate(() => {
    const copy = document.documentElement.cloneNode(true) as HTMLElement;
    const live = [...document.querySelectorAll("input, textarea")] as HTMLInputElement[];
    [...copy.querySelectorAll("input, textarea")].forEach((element, index) => {
      const source = live[index];
      if (!source) return;
      if (source.checked) element.setAttribute("checked", "");
      else element.removeAttribute("checked");
      if (source.type !== "checkbox" && source.type !== "radio") element.setAttribute("value", source.value);
    });
    for (const script of copy.querySelectorAll("script, link[rel=modulepreload], link[as=script]")) script.remove();
    return `<!DOCTYPE html>${copy.outerHTML}`;
  });
  const { origin } = new URL(player.page.url());
  return { player, screen, url: `${origin}/a11y-frozen/${screen}-${player.name}`, html };
}

/** Audits a frozen screen in a new tab of the same phone (same language, motion and text settings). */
async function auditFrozen(frozen: FrozenScreen, testInfo: TestInfo, largeText: boolean): Promise<void> {
  const { player, screen } = frozen;
  const page = await player.context.newPage();
  try {
    // Answered here, never by the server: the copy's stylesheets and images load from the app.
    await page.route(frozen.url, (route) => route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: frozen.html }));
    await page.goto(frozen.url);
    await audit(player, screen, testInfo, page);
    await expectHeadingOrder(page, `${screen} (${player.name})`);
    if (largeText && player.name === "host-en") await expectLargeTextFits({ ...player, page }, screen, testInfo);
  } finally {
    await page.close();
  }
}

/** Both phones at once: a round lasts seconds, and the next one must not be missed. */
async function auditBoth(players: Player[], screen: string, testInfo: TestInfo, largeText = true): Promise<void> {
  await Promise.all(
    players.map(async (player) => {
      await audit(player, screen, testInfo);
      await expectHeadingOrder(player.page, `${screen} (${player.name})`);
      await snap(player, screen, testInfo);
      // The English phone: its words are the longest.
      if (largeText && player.name === "host-en") await expectLargeTextFits(player, screen, testInfo);
      // The lobby and the results on the guest's phone (the pose round on the host's: below).
      const deuteranope = { "lobby-framing": "guest-ko", results: "guest-ko" }[screen];
      if (deuteranope === player.name) await snapDeuteranopia(player, screen, testInfo);
    }),
  );
}

test("every screen passes axe's WCAG 2.1 AA rules, in English and Korean, at phone size", async ({ players }, testInfo) => {
  test.setTimeout(360_000);
  // 10 fps cameras: this test is about the pages, not the call's picture (e2e/README.md, "Load").
  const host = await players.launch({ name: "host-en", video: "messi5", contextOptions: { ...PHONE, locale: "en-US" }, cameraFps: 10 });
  // The guest's phone asks for reduced motion and plays muted (issue 25's options, seen by axe too).
  const guest = await players.launch({
    name: "guest-ko",
    video: "astronaut",
    contextOptions: { ...PHONE, locale: "ko-KR", reducedMotion: "reduce" },
    cameraFps: 10,
  });
  await guest.context.addInitScript(() => window.localStorage.setItem("poseparty.muted", "1"));
  const both = [host, guest];
  for (const player of both) await recordGame(player.page);

  await Promise.all(both.map((player) => player.page.goto("/")));
  await auditBoth(both, "home", testInfo);
  await expectKeyboardReach(host.page, "home");

  const { link } = await createRoom(host.page, "Messi", "party");
  // "More time" for the whole room, remembered like mute: still chosen after a reload.
  await host.page.getByTestId("time-scale-1.5").check();
  await host.page.reload();
  await expect(host.page.getByTestId("time-scale-1.5")).toBeChecked();
  await joinByLink(guest.page, link, "Astro");
  for (const player of both) await expect(player.page.getByTestId("remote-tile")).toHaveCount(1);
  await auditBoth(both, "room", testInfo);
  // Reduced motion follows the system (the guest) or is set by hand, and is remembered (the host).
  await expect(guest.page.locator("html")).toHaveAttribute("data-motion", "reduce");
  await expect(guest.page.getByTestId("reduced-motion")).toBeChecked();
  await expect(host.page.locator("html")).toHaveAttribute("data-motion", "full");
  await host.page.getByTestId("reduced-motion").check();
  await expect(host.page.locator("html")).toHaveAttribute("data-motion", "reduce");
  await host.page.reload();
  await expect(host.page.getByTestId("reduced-motion")).toBeChecked();
  await expect(host.page.locator("html")).toHaveAttribute("data-motion", "reduce");
  await host.page.getByTestId("reduced-motion").uncheck();
  await expect(host.page.locator("html")).toHaveAttribute("data-motion", "full");
  await expectKeyboardReach(host.page, "room");

  // The lobby while it loads: the models wait until the loading screen is audited.
  const held: Route[] = [];
  let hold = true;
  for (const player of both) await player.context.route("**/vision/**", (route) => (hold ? void held.push(route) : route.continue()));
  await host.page.getByTestId("start-game").click();
  for (const player of both) await expect(player.page.getByTestId("lobby")).toBeVisible();
  for (const player of both) await expect(player.page.getByTestId("relaxed-note")).toHaveAttribute("data-time-scale", "1.5");
  await expect.poll(() => held.length).toBeGreaterThan(0);
  await auditBoth(both, "lobby-loading", testInfo, false);
  hold = false;
  for (const route of held.splice(0)) await route.continue();

  // Neither camera passes every kind's check (e2e/README.md): both see the framing check.
  for (const player of both) await expect(player.page.getByTestId("framing-play-anyway")).toBeVisible({ timeout: 120_000 });
  await auditBoth(both, "lobby-framing", testInfo);
  // The guest is ready first and waits for the host: audited in both languages (the page's own switch).
  await guest.page.getByTestId("framing-play-anyway").click();
  await expect(guest.page.locator('[data-testid="lobby"][data-framing="skipped"]')).toBeVisible();
  await audit(guest, "lobby-ready", testInfo);
  await guest.page.getByTestId("language-switch").click();
  await expect(guest.page.locator("html")).toHaveAttribute("lang", "en");
  await audit(guest, "lobby-ready", testInfo);
  await guest.page.getByTestId("language-switch").click();
  await expect(guest.page.locator("html")).toHaveAttribute("lang", "ko");
  await host.page.getByTestId("framing-play-anyway").click();

  // Each round is pictured and frozen while it is played, and audited after the game.
  const frozenRounds: FrozenScreen[] = [];
  for (const kind of ["pose", "hand", "head"]) {
    for (const player of both) {
      await player.page
        .locator(`[data-testid="game-stage"][data-display="round"] [data-figure="${kind}"]`)
        .waitFor({ timeout: kind === "pose" ? 120_000 : 30_000 });
    }
    const screen = `round-${kind}`;
    await Promise.all(
      both.map(async (player) => {
        frozenRounds.push(await freeze(player, screen));
        await snap(player, screen, testInfo);
        if (screen === "round-pose" && player.name === "host-en") await snapDeuteranopia(player, screen, testInfo);
      }),
    );
    if (kind === "pose") {
      for (const player of both) await expect(player.page.getByTestId("relaxed-note")).toBeVisible();
      await expect(guest.page.getByTestId("mute-button")).toHaveAttribute("aria-pressed", "true");
    }
  }

  for (const player of both) await expect(player.page.getByTestId("results")).toBeVisible({ timeout: 60_000 });
  // A screen reader heard the countdown, each round's start, and each result with the own score,
  // politely; never the seconds of a round ticking by (the banner shows those, aria-hidden).
  for (const player of both) {
    const { said, roundSeconds, heldLabel } = await player.page.evaluate(() => (window as unknown as { __game: GameRecord }).__game);
    // Holding the pose says so in words, not only gold (messi5 holds the pose round; the astronaut the head round).
    expect(heldLabel, `${player.name}: the held meter's words`).toMatch(/✓ (held|유지 완료)/);
    // "More time" x1.5 on the party playlist's 8 s rounds: every phone counted down from 12.
    expect(roundSeconds, `${player.name}: relaxed rounds`).toBe(12);
    await testInfo.attach(`${player.name}-announcements.json`, { body: JSON.stringify(said, null, 2), contentType: "application/json" });
    const during = (display: string) => said.filter((entry) => entry.display === display).map((entry) => entry.text);
    expect(
      during("next").some((text) => /\. 1$/.test(text)),
      `${player.name}: the countdown reaches 1`,
    ).toBe(true);
    expect(during("round").length, `${player.name}: a round speaks at its start and at an award, not every second`).toBeLessThanOrEqual(3 * 2);
    expect(during("result").filter((text) => /Your score|내 점수/.test(text)).length, `${player.name}: every result says the own score`).toBe(3);
  }
  for (const player of both) await expect(player.page.getByTestId("match-save")).toHaveAttribute("data-save", "saved", { timeout: 30_000 });
  // Audited as it rests: mid-rise the podium fades in from transparent, which no one reads.
  for (const player of both) {
    await expect
      .poll(() =>
        player.page
          .locator(".podium-place")
          .evaluateAll((places) => places.every((place) => place.getAnimations().every((animation) => animation.playState === "finished"))),
      )
      .toBe(true);
  }
  await auditBoth(both, "results", testInfo);
  // Muted, reduced motion: every sound was shown (3-2-1 ticks, go with the music, round ends, the
  // fanfare), no confetti, nothing moving; the host's phone celebrates.
  await expect(guest.page.getByTestId("sound-cue")).toHaveAttribute("data-cue", "winner");
  const { cues } = await guest.page.evaluate(() => (window as unknown as { __game: GameRecord }).__game);
  await testInfo.attach("guest-cues.json", { body: JSON.stringify(cues), contentType: "application/json" });
  expect(cues.filter((cue) => cue === "tick").length, "the 3-2-1, shown").toBeGreaterThanOrEqual(1);
  expect(cues.filter((cue) => cue === "go").length, "each round's start and music, shown").toBe(3);
  expect(cues.filter((cue) => cue === "round-end").length, "each round's end, shown").toBe(3);
  await expect(guest.page.getByTestId("celebration")).toBeHidden();
  expect(await guest.page.evaluate(() => document.getAnimations().filter((animation) => animation.playState === "running").length)).toBe(0);
  await expect(host.page.getByTestId("celebration")).toBeVisible();
  for (const player of both) await expect(player.page.getByTestId("results").getByTestId("relaxed-note")).toBeVisible();

  const matchHref = await host.page.getByTestId("match-link").getAttribute("href");
  for (const player of both) {
    await player.page.getByTestId("match-link").click();
    await expect(player.page.getByTestId("history-sheet")).toHaveAttribute("data-state", "ready");
  }
  await auditBoth(both, "history-sheet", testInfo);
  for (const player of both) await expect(player.page.getByTestId("history-sheet").getByTestId("relaxed-note")).toBeVisible();

  await Promise.all(both.map((player) => player.page.goto("/history")));
  await auditBoth(both, "history", testInfo, false);
  await expect(host.page.locator(`[data-testid="match"]:has(a[href="${matchHref}"]) [data-testid="relaxed-note"]`)).toHaveText("More time ×1.5");
  await Promise.all(both.map((player) => player.page.goto(matchHref!)));
  await auditBoth(both, "match", testInfo);
  await expect(guest.page.getByTestId("relaxed-note")).toHaveText("시간 더 주기 ×1.5");

  // The rounds' frozen screens, last: with the live pages (camera, call) closed the 2-core machine
  // is free for axe.
  for (const player of both) await player.page.close();
  for (const frozen of frozenRounds) await auditFrozen(frozen, testInfo, frozen.screen === "round-hand");
});
