/**
 * A party night on phone-sized screens (390x844), with real Chromium, fake cameras and real
 * inference: the invite comes first, a match of pose, hand and head rounds shows each round's
 * result before the next one, the results are a podium, the match history opens inside the room
 * (friends never see the host drop), the host's settings survive the game, the history page
 * speaks target names, and no page tries to send usage logs to Google.
 *
 * Phone screenshots of the room, a round of each kind, the results and the history are saved
 * as attachments (test-results/party-*), for a reviewer to look at; they are not compared.
 */
import type { Page, TestInfo } from "@playwright/test";
import { test, expect, type Player } from "./support/players";
import { createRoom, joinByLink, settleFraming } from "./support/room";

const PHONE = { viewport: { width: 390, height: 844 } };

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

/** Fully inside the first screen: nothing to scroll to see it. */
async function expectWithoutScrolling(page: Page, testId: string): Promise<void> {
  const box = await page.getByTestId(testId).boundingBox();
  expect(box, `${testId} is rendered`).not.toBeNull();
  expect(box!.y, `${testId} top`).toBeGreaterThanOrEqual(0);
  expect(box!.y + box!.height, `${testId} bottom within 844 px`).toBeLessThanOrEqual(844);
}

test("a host alone sees the invite without scrolling; once the room fills it is one tap away", async ({ players }, testInfo) => {
  test.setTimeout(120_000);
  const host = await players.launch({ name: "host", contextOptions: PHONE, cameraFps: 10 });
  const { code, link } = await createRoom(host.page, "Host");
  await expect(host.page.getByTestId("qr-code")).toBeVisible();
  expect(await host.page.evaluate(() => window.scrollY)).toBe(0);
  for (const part of ["room-code", "qr-code", "room-link", "copy-link"]) await expectWithoutScrolling(host.page, part);
  await expect(host.page.getByTestId("room-code")).toHaveText(code);
  await snap(host.page, testInfo, "party-room-host-alone");

  // Three in: the call and the settings move up, the invite stays one tap away.
  const friends: Player[] = [];
  for (const name of ["Mina", "Jun"]) {
    const friend = await players.launch({ name, contextOptions: PHONE, cameraFps: 5 });
    await joinByLink(friend.page, link, name);
    friends.push(friend);
  }
  await expect(host.page.getByTestId("member")).toHaveCount(3);
  await expect(host.page.getByTestId("invite-jump")).toBeVisible();
  await expectWithoutScrolling(host.page, "invite-jump");
  await snap(host.page, testInfo, "party-room-three");
  await host.page.getByTestId("invite-jump").click();
  await expect.poll(async () => (await host.page.getByTestId("copy-link").boundingBox())?.y ?? -1).toBeGreaterThanOrEqual(0);
  await expect
    .poll(async () => {
      const box = await host.page.getByTestId("copy-link").boundingBox();
      return box ? box.y + box.height <= 844 : false;
    })
    .toBe(true);
});

interface PartyRecord {
  /** Every distinct (display, header, target) the game screen showed, in order. */
  game: { display: string; header: string; target: string | null }[];
  /** On the results screen, anything that said someone dropped: "Reconnecting", an away tile or row. */
  drops: string[];
}

/** Records in the page what it showed: rounds move faster than a test can poll two browsers. */
async function recordParty(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const record: PartyRecord = { game: [], drops: [] };
    (window as unknown as { __party: PartyRecord }).__party = record;
    const observer = new MutationObserver(() => {
      const stage = document.querySelector<HTMLElement>('[data-testid="game-stage"]');
      if (stage) {
        const entry = {
          display: stage.dataset.display ?? "?",
          header: stage.querySelector(".game-head .tag")?.textContent ?? "",
          target: stage.querySelector<HTMLElement>('[data-testid="target"]')?.dataset.target ?? null,
        };
        const last = record.game.at(-1);
        if (!last || last.display !== entry.display || last.header !== entry.header || last.target !== entry.target) record.game.push(entry);
      }
      // From the results on (the lobby's busy phones may legitimately miss a heartbeat).
      if (!document.querySelector('[data-testid="results"]')) return;
      const text = document.body.innerText;
      const signs = [
        /reconnecting|다시 연결/i.test(text) ? "text" : null,
        document.querySelector('[data-testid="member"][data-connected="false"]') ? "member-away" : null,
        document.querySelector('[data-testid="score-row"][data-status="reconnecting"]') ? "score-row" : null,
        document.querySelector('.call-tile[data-status="away"]') ? "call-tile" : null,
      ].filter((sign): sign is string => sign !== null);
      for (const sign of signs) if (!record.drops.includes(sign)) record.drops.push(sign);
    });
    document.addEventListener("DOMContentLoaded", () =>
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true }),
    );
  });
}

const readRecord = (page: Page) => page.evaluate(() => (window as unknown as { __party: PartyRecord }).__party);

/** Lines a page logged about the vision runtime's usage logs (a blocked connection, a request). */
function callsHome(player: Player, requests: string[]): string[] {
  return [...player.logs.filter((line) => /googleapis|odml|Refused to connect/i.test(line)), ...requests];
}

test("a match night: result before next, a podium, history inside the room, names everywhere, no calls home", async ({ players }, testInfo) => {
  test.setTimeout(480_000);
  const host = await players.launch({ name: "host-messi", video: "messi5", contextOptions: PHONE, cameraFps: 15 });
  // The friend's phone is in Korean: its screenshots show the Korean text.
  const friend = await players.launch({ name: "friend-astronaut", video: "astronaut", contextOptions: { ...PHONE, locale: "ko-KR" }, cameraFps: 15 });
  const requestsHome = new Map<Player, string[]>([
    [host, []],
    [friend, []],
  ]);
  for (const player of [host, friend]) {
    await recordParty(player.page);
    player.context.on("request", (request) => {
      if (/googleapis\.com/.test(request.url())) requestsHome.get(player)!.push(`request: ${request.url()}`);
    });
  }

  // The host picks settings first: they must still be there after the game.
  const { code, link } = await createRoom(host.page, "Messi");
  await host.page.getByTestId("rounds-input").fill("7");
  await host.page.getByTestId("round-kind-hand").check();
  await expect(host.page.getByTestId("round-kind-hand")).toBeChecked();
  // A fixed playlist for the match itself, one round per kind (the tab keeps its seat across the reload).
  await host.page.goto(`/r/${code}?testPlaylist=party`);
  await joinByLink(friend.page, link, "Astro");
  await expect(host.page.getByTestId("member")).toHaveCount(2);
  await snap(host.page, testInfo, "party-room-two");
  await host.page.getByTestId("start-game").click();
  // Neither fake camera passes every kind's framing check (messi5's face is too small for the face
  // detector, the astronaut shows no legs): both tap "Play anyway", as players who cannot fix it would.
  await Promise.all([host, friend].map((player) => settleFraming(player.page, 300_000)));

  // One screenshot of each round kind while it is being played, on the host's phone.
  for (const kind of ["pose", "hand", "head"]) {
    await host.page
      .locator(`[data-testid="game-stage"][data-display="round"] [data-figure="${kind}"]`)
      .waitFor({ timeout: kind === "pose" ? 300_000 : 30_000 });
    await snap(host.page, testInfo, `party-round-${kind}`);
  }

  // Results: a podium for everyone, with confetti; the guest waits for the host.
  await expect(host.page.getByTestId("results")).toBeVisible({ timeout: 60_000 });
  await host.page.waitForTimeout(1_200); // the podium's rise
  await snap(host.page, testInfo, "party-results-celebration");
  for (const player of [host, friend]) {
    await expect(player.page.getByTestId("results")).toBeVisible({ timeout: 60_000 });
    await expect(player.page.getByTestId("ranking-row")).toHaveCount(2);
    await expect(player.page.getByTestId("celebration")).toBeAttached();
  }
  await expect(friend.page.getByTestId("waiting-for-host")).toBeVisible();
  await expect(friend.page.getByTestId("back-to-chat")).toHaveCount(0);
  await expect(host.page.getByTestId("back-to-chat")).toBeVisible();
  // Both read the same ranking in the same order (ties included).
  const rankingOf = (page: Page) =>
    page.getByTestId("ranking-row").evaluateAll((rows) =>
      rows.map((row) => {
        const { rank, total, tied } = (row as HTMLElement).dataset;
        return `${row.querySelector(".member-name")?.textContent}|${rank}|${total}|${tied}`;
      }),
    );
  expect(await rankingOf(friend.page)).toEqual(await rankingOf(host.page));
  const resultOrder = await host.page.getByTestId("ranking-row").locator(".member-name").allTextContents();
  await snap(host.page, testInfo, "party-results-host");
  await snap(friend.page, testInfo, "party-results-guest");

  // Every round: its result first (header and target still that round), then "next", then it counts.
  const { game } = await readRecord(host.page);
  await testInfo.attach("host-game-sequence.json", { body: JSON.stringify(game, null, 2), contentType: "application/json" });
  const roundOf = (header: string) => Number(/(\d+)\/3/.exec(header)?.[1] ?? NaN);
  const shown = game.filter((entry) => entry.display !== "waiting");
  const kinds = shown.map((entry) => entry.display).filter((display, index, all) => display !== all[index - 1]);
  expect(kinds).toEqual(["next", "round", "result", "next", "round", "result", "next", "round", "result"]);
  for (let index = 1; index < shown.length; index++) {
    const [before, entry] = [shown[index - 1]!, shown[index]!];
    if (entry.display === "result") {
      expect(roundOf(entry.header), "a result speaks of the round just played").toBe(roundOf(before.header));
      expect(entry.target).toBe(before.target);
    }
    if (entry.display === "next" && before.display === "result") expect(roundOf(entry.header)).toBe(roundOf(before.header) + 1);
  }

  // The match history opens over the results: the host stays in the room.
  await expect(host.page.getByTestId("match-save")).toHaveAttribute("data-save", "saved", { timeout: 30_000 });
  const matchHref = await host.page.getByTestId("match-link").getAttribute("href");
  expect(matchHref).toMatch(/^\/history\/[0-9a-f-]{36}$/);
  const roomUrl = host.page.url();
  await host.page.getByTestId("match-link").click();
  const sheet = host.page.getByTestId("history-sheet");
  await expect(sheet).toHaveAttribute("data-state", "ready");
  expect(host.page.url()).toBe(roomUrl);
  const resultNames = await host.page
    .getByTestId("round-breakdown")
    .locator("tbody tr td:first-child")
    .evaluateAll((cells) => cells.map((cell) => (cell.textContent ?? "").replace(/^\d+\.\s*/, "")));
  expect(resultNames).toHaveLength(3);
  await expect(sheet.getByTestId("match-round-target")).toHaveText(resultNames);
  await snap(host.page, testInfo, "party-history-sheet");
  await host.page.waitForTimeout(5_000); // long enough for a dropped host to show on the friend's phone
  await host.page.getByTestId("history-sheet-close").click();
  await expect(sheet).toHaveCount(0);
  await expect(host.page.getByTestId("results")).toBeVisible();
  expect((await readRecord(friend.page)).drops, "the friend never saw anyone drop").toEqual([]);
  await expect(friend.page.getByTestId("results")).toBeVisible();

  // Back to the room: the host's own settings are kept (the test playlist hid them meanwhile).
  await host.page.getByTestId("back-to-chat").click();
  for (const player of [host, friend]) await expect(player.page.getByTestId("room-phase")).toHaveAttribute("data-phase", "chatting");
  await host.page.goto(`/r/${code}`);
  await expect(host.page.getByTestId("rounds-input")).toHaveValue("7");
  await expect(host.page.getByTestId("round-kind-hand")).toBeChecked();
  await expect(host.page.getByTestId("round-kind-pose")).toBeChecked();

  // Leaving closes the vision tasks, which is when tasks-vision flushes its usage log.
  await host.page.getByTestId("leave-room").click();
  await expect(host.page.getByTestId("create-room")).toBeVisible();
  await host.page.waitForTimeout(2_000);
  for (const player of [host, friend]) expect(callsHome(player, requestsHome.get(player)!), `${player.name} called home`).toEqual([]);

  // The history page: target names, as the results showed them; no raw ids.
  await host.page.goto(matchHref!);
  await expect(host.page.getByTestId("match-round-target")).toHaveText(resultNames);
  const pageText = await host.page.locator("main").innerText();
  expect(pageText).not.toMatch(/test-messi5|test-astronaut|head-(easy|normal|hard)-\d|fingers-\d/);
  const rows = host.page.getByTestId("match-ranking-row");
  await expect(rows).toHaveCount(2);
  // Ties and all, the same order as the results.
  expect(await rows.locator(".member-name").allTextContents()).toEqual(resultOrder);
  await snap(host.page, testInfo, "party-history-page");
});
