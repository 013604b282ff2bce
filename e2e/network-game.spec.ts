/**
 * The game across real networks (issue 21): two phones, each in its own home behind a home router,
 * each on another link profile (`bad-wifi` and `4g`: delay, jitter, loss and an upload limit,
 * e2e/support/netlab.ts), play a five-round match with the server in the lab's cloud. Two, not
 * three: three phones each running pose inference and the call on CI's two cores blocked a page's
 * main thread for up to 20 s, and the server's rounds ran on while the test waited on its pages
 * (CI, twice on 2026-12-07). The gentler `wifi` profile is covered by network-call.
 *
 * Both cameras show the same picture (messi5.jpg, whose pose the `messi-five` targets are),
 * so a fair game gives them about the same points: the link must not decide the score. Every page
 * estimates the server clock over its own link (client/game/clockSync.ts); browsers and server
 * share this machine's clock, so the true offset is 0 and the estimate itself is the error. No page
 * may show a friend (or the call) as "reconnecting" while every link holds.
 *
 * Then, in round 2 (3 when a loaded machine kept the test in round 1's checks), the 4G phone's link
 * goes for 8 s: friends see it reconnecting (the room notices a page that went quiet within
 * SILENT_AFTER_MS, where Socket.IO's heartbeat would take up to 30 s), it comes back by itself
 * with seat, score and role, and its points in the rounds after the next one count.
 *
 * Needs root (ip netns). Skipped with a message outside CI when not root; under CI it must run.
 */
import { expect, test, type Page } from "@playwright/test";
import { LINK_PROFILES, type LinkProfileName } from "./support/netlab";
import { createRoom, joinByLink, settleFraming } from "./support/room";
import { useLab } from "./support/useLab";

const inCi = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;

/** Few frames: two browsers run pose inference and the call on a shared 2-core machine. */
const CAMERA_FPS = 10;

/**
 * The lower total (over the rounds where every link was up) may be this share of the higher.
 * Measured in this lab: with three phones 0.86, 0.91 and 0.67, the lowest a different profile each
 * time; with two, 0.68 and 0.76 (the second with a busy loop on one core). What spreads the points
 * is which frames a starved page gets to score, not the link. A link that cost points (late meter
 * samples making awards look implausible, a window missed) shows as a miss: a share well under this.
 */
const FAIR_SHARE = 0.5;

/** A main-thread stall this long stops a page's heartbeat long enough for the room to call it gone. */
const FROZEN_MS = 4_000;

/** Records, from the first page load on, every "reconnecting" a player could see: a friend in the game, or a call tile. */
const RECORD_RECONNECTING = () => {
  const seen: string[] = [];
  (window as unknown as { __netlabReconnecting: string[] }).__netlabReconnecting = seen;
  const check = () => {
    for (const element of document.querySelectorAll('[data-status="reconnecting"]')) {
      const what = `${element.getAttribute("data-testid") ?? element.tagName}: ${(element.textContent ?? "").trim().slice(0, 60)}`;
      if (!seen.includes(what)) seen.push(what);
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
  // For a failure's report: main-thread stalls of a second or more (a page that cannot beat looks gone).
  const stalls: number[] = [];
  (window as unknown as { __netlabStalls: number[] }).__netlabStalls = stalls;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.duration >= 1000) stalls.push(Math.round(entry.duration));
  }).observe({ type: "longtask", buffered: true });
};

function reconnectingSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __netlabReconnecting?: string[] }).__netlabReconnecting ?? []);
}

function stallsSeen(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __netlabStalls?: number[] }).__netlabStalls ?? []);
}

test.describe("the game across a small internet: two phones on two link profiles", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");

  const homes: { name: string; profile: LinkProfileName }[] = [
    { name: "cafe", profile: "bad-wifi" },
    { name: "lte", profile: "4g" },
  ];
  // The server logs at info: a failure's report then shows when the room heard each page go quiet and come back.
  const { lab, players } = useLab({ homes: homes.map(({ name, profile }) => ({ name, router: "home", profile })), serverEnv: { LOG_LEVEL: "info" } });

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("lobby, framing, five rounds, results and history complete; fair scores and clocks on every link; an 8 s dropout mid-round comes back", async ({}, testInfo) => {
    test.setTimeout(600_000);
    const [host, ...guests] = await Promise.all(
      homes.map(async ({ name }) => {
        const player = await lab().home(name).launchPlayer({ name, video: "messi5", cameraFps: CAMERA_FPS });
        await player.context.addInitScript(RECORD_RECONNECTING);
        players.push(player);
        return player;
      }),
    );
    const everyone = [host!, ...guests];
    const { link } = await createRoom(host!.page, "Cafe", "messi-five");
    await joinByLink(guests[0]!.page, link, "Lte");
    for (const player of everyone) await expect(player.page.getByTestId("member")).toHaveCount(2);

    await host!.page.getByTestId("start-game").click();
    // Each lobby loads the models over its own link and checks its camera's picture.
    // Every page at once: on a starved machine each call on a page takes seconds, and in turn they
    // let the game run past the rounds the dropout below is meant for.
    await Promise.all(everyone.map((player) => settleFraming(player.page, 300_000)));
    await Promise.all(
      everyone.map((player) =>
        expect(player.page.getByTestId("game-stage"), `${player.name} plays`).toHaveAttribute("data-role", "player", { timeout: 300_000 }),
      ),
    );

    // Each page's clock estimate, as the game shows it (the lobby synced it, the game resyncs it).
    // Read at once on every page: waiting for each page's round in turn cost a loaded run two rounds.
    const clocks: Record<string, { offsetMs: number; roundTripMs: number }> = {};
    // Both numbers in one read per page, all pages together, each with a deadline: a plain
    // getAttribute waits for the test's whole timeout if the game has moved on meanwhile.
    const readings = await Promise.all(
      everyone.map(async (player) => {
        const stage = player.page.getByTestId("game-stage");
        await expect(stage).toHaveAttribute("data-clock-round-trip-ms", /\d/, { timeout: 30_000 });
        return stage.evaluate(
          (element) => ({ offsetMs: Number(element.dataset.clockOffsetMs), roundTripMs: Number(element.dataset.clockRoundTripMs) }),
          undefined,
          {
            timeout: 30_000,
          },
        );
      }),
    );
    for (const [index, player] of everyone.entries()) {
      const { offsetMs, roundTripMs } = readings[index]!;
      clocks[player.name] = { offsetMs, roundTripMs };
      const profile = LINK_PROFILES[homes[index]!.profile];
      // Every phone and the server share this machine's clock, so the true offset is 0 and the
      // estimate is its error. core/clock.ts promises at most half the round trip it reports, and
      // a resync keeps the tighter estimate. No fixed bound: that round trip is the link's plus
      // however late a busy page read the time, and a starved 2-core CI machine made it 740 ms
      // (error 371 ms) on bad-wifi. The numbers are printed and attached below.
      const promised = roundTripMs / 2 + 1;
      expect(roundTripMs, `${player.name}: round trip (ms) at least the link's`).toBeGreaterThanOrEqual(profile.rttMs - profile.jitterMs);
      expect(Math.abs(offsetMs), `${player.name}: clock offset error (ms) within half its round trip ${roundTripMs}`).toBeLessThanOrEqual(promised);
    }

    // Round 2 (or 3, where a loaded machine made the checks above outlast round 2): Lte's link goes
    // for 8 s. Friends see Lte reconnecting within the dropout (the room's silence watch), then
    // playing again; the seat, the score and the role stay.
    const names = { cafe: "Cafe", lte: "Lte" } as const;
    const roundTag = host!.page.locator(".game-head .tag");
    await expect(roundTag).toContainText(/[23]\/5/, { timeout: 120_000 });
    await expect(host!.page.getByTestId("game-stage")).toHaveAttribute("data-stage", "round");
    const dropRound = Number(/(\d)\/5/.exec((await roundTag.textContent()) ?? "")?.[1]) - 1;
    const seenBefore: Record<string, string[]> = {};
    for (const player of everyone) seenBefore[player.name] = await reconnectingSeen(player.page);
    const lte = guests[0]!;
    const lteRow = host!.page.getByTestId("score-row").filter({ hasText: names.lte });
    lab().home("lte").linkDown();
    const downAt = Date.now();
    try {
      await expect(lteRow, "the host sees Lte reconnecting while the link is down").toHaveAttribute("data-status", "reconnecting", { timeout: 8_000 });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, downAt + 8_000 - Date.now())));
    } finally {
      lab().home("lte").linkUp();
    }
    // TCP's retransmission timer backed off during the dropout: the first word may take seconds more.
    await expect(lteRow, "Lte is back").toHaveAttribute("data-status", "playing", { timeout: 30_000 });
    const backAfterMs = Date.now() - downAt - 8_000;
    await expect(lte.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player");

    // Results on every phone, both ranked.
    for (const player of everyone) {
      await expect(player.page.getByTestId("results"), `${player.name} sees the results`).toBeVisible({ timeout: 240_000 });
      await expect(player.page.getByTestId("ranking-row")).toHaveCount(2);
    }
    // Each round's points per player, from the host's results ("PERFECT 495", "–" for nothing).
    const table = host!.page.getByTestId("round-breakdown");
    const columns = (await table.locator("thead th").allTextContents()).slice(1).map((name) => name.trim());
    const points: Record<string, number[]> = Object.fromEntries(columns.map((name) => [name, []]));
    for (const row of await table.locator("tbody tr").all()) {
      const cells = (await row.locator("td").allTextContents()).slice(1);
      cells.forEach((cell, index) => points[columns[index]!]!.push(Number(/(\d+)\s*$/.exec(cell)?.[1] ?? 0)));
    }
    const sum = (list: number[], rounds: number[]) => rounds.reduce((total, round) => total + (list[round] ?? 0), 0);
    // Fairness where every link was up: every round but the dropout's and the next (Lte's link
    // may take that one to come back).
    const fairRounds = [0, 1, 2, 3, 4].filter((round) => round !== dropRound && round !== dropRound + 1);
    const afterReturn = [0, 1, 2, 3, 4].filter((round) => round > dropRound + 1);
    const fair = Object.fromEntries(Object.entries(points).map(([name, list]) => [name, sum(list, fairRounds)]));
    const stalls: Record<string, number[]> = {};
    for (const player of everyone) stalls[player.name] = await stallsSeen(player.page);
    // What became of each page's awards (client/game/gameSession.ts): accepted, or refused by code.
    const awards: Record<string, Record<string, number>> = {};
    for (const player of everyone)
      awards[player.name] = await player.page.evaluate(() => (window.__poseparty?.awards as Record<string, number> | undefined) ?? {});
    const summary = { points, fair, dropRound: dropRound + 1, clocks, lteBackAfterMs: backAfterMs, stalls, awards };
    testInfo.annotations.push({ type: "network game", description: JSON.stringify(summary) });
    console.log(`network game: ${JSON.stringify(summary)}`);
    const values = Object.values(fair);
    expect(values).toHaveLength(2);
    for (const value of values) expect(value, "every phone scored").toBeGreaterThan(0);
    expect(Math.min(...values), `the link does not decide the score: ${JSON.stringify(fair)}`).toBeGreaterThanOrEqual(FAIR_SHARE * Math.max(...values));
    expect(sum(points[names.lte]!, afterReturn), "Lte's points after the return count").toBeGreaterThan(0);
    // Over every link, awards reach the server in their round, with their evidence: each phone had
    // some accepted, and none whose link stayed up was refused as implausible (meters lost on the way).
    for (const player of everyone) expect(awards[player.name]?.accepted ?? 0, `${player.name}: awards accepted`).toBeGreaterThan(0);
    expect(awards[host!.name]?.implausible_award ?? 0, `${host!.name}: implausible awards`).toBe(0);

    // "Reconnecting" was shown only once Lte's link went: Lte to the others, anyone to Lte (its own
    // connections went with it); or for a page that froze for seconds (this machine runs two
    // phones, the server and the lab on two cores: a real phone has its own).
    const froze = (name: string) => (stalls[name] ?? []).some((ms) => ms >= FROZEN_MS);
    const explained = (entry: string, onPage: string, afterDropout: boolean) =>
      (afterDropout && (onPage === "lte" || entry.includes(names.lte))) ||
      Object.entries(names).some(([page, nickname]) => entry.includes(nickname) && froze(page));
    for (const player of everyone) {
      for (const entry of seenBefore[player.name] ?? [])
        expect(explained(entry, player.name, false), `${player.name} saw "${entry}" before any link went`).toBe(true);
      for (const entry of await reconnectingSeen(player.page)) expect(explained(entry, player.name, true), `${player.name} saw "${entry}"`).toBe(true);
    }
    expect(
      (await reconnectingSeen(host!.page)).some((entry) => entry.includes(names.lte)),
      `${host!.name} saw Lte reconnecting`,
    ).toBe(true);

    // Saved once: the history has this one match, with both.
    await host!.page.getByTestId("match-link").click();
    await expect(host!.page.getByTestId("match-ranking")).toContainText("Cafe");
    await expect(host!.page.getByTestId("match-round")).toHaveCount(5);
    await host!.page.goto("/history");
    await expect(host!.page.getByTestId("match")).toHaveCount(1);
    for (const name of ["Cafe", "Lte"]) await expect(host!.page.getByTestId("match")).toContainText(name);
  });
});
