/**
 * The game across real networks (issue 21): three phones, each in its own home behind a home
 * router, each on another link profile (`wifi`, `4g`, `bad-wifi`: delay, jitter, loss and an
 * upload limit, e2e/support/netlab.ts), play a five-round match with the server in the lab's cloud.
 *
 * All three cameras show the same picture (messi5.jpg, whose pose the `messi-five` targets are),
 * so a fair game gives them about the same points: the link must not decide the score. Every page
 * estimates the server clock over its own link (client/game/clockSync.ts); browsers and server
 * share this machine's clock, so the true offset is 0 and the estimate itself is the error. No page
 * may show a friend (or the call) as "reconnecting": no link goes away in this test.
 *
 * Needs root (ip netns). Skipped with a message outside CI when not root; under CI it must run.
 */
import { expect, test, type Page } from "@playwright/test";
import { LINK_PROFILES, type LinkProfileName } from "./support/netlab";
import { createRoom, joinByLink, settleFraming } from "./support/room";
import { useLab } from "./support/useLab";

const inCi = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;

/** Few frames: three browsers run pose inference and the call on a shared 2-core machine. */
const CAMERA_FPS = 10;

/**
 * The lowest total may be this share of the highest. Measured in this lab: see e2e/README.md
 * ("The game across the lab"). Same picture, same targets: what is left is the machine's noise
 * (a starved page scores fewer frames) and the links.
 */
const FAIR_SHARE = 0.6;

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
};

function reconnectingSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __netlabReconnecting?: string[] }).__netlabReconnecting ?? []);
}

test.describe("the game across a small internet: three phones on three link profiles", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");

  const homes: { name: string; profile: LinkProfileName }[] = [
    { name: "wifi", profile: "wifi" },
    { name: "lte", profile: "4g" },
    { name: "cafe", profile: "bad-wifi" },
  ];
  const { lab, players } = useLab({ homes: homes.map(({ name, profile }) => ({ name, router: "home", profile })) });

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("lobby, framing, five rounds, results and history complete; scores and clocks are fair on every link", async ({}, testInfo) => {
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
    const { link } = await createRoom(host!.page, "Wifi", "messi-five");
    await joinByLink(guests[0]!.page, link, "Lte");
    await joinByLink(guests[1]!.page, link, "Cafe");
    for (const player of everyone) await expect(player.page.getByTestId("member")).toHaveCount(3);

    await host!.page.getByTestId("start-game").click();
    // Each lobby loads the models over its own link and checks its camera's picture.
    for (const player of everyone) await settleFraming(player.page, 300_000);
    for (const player of everyone) {
      await expect(player.page.getByTestId("game-stage"), `${player.name} plays`).toHaveAttribute("data-role", "player", { timeout: 300_000 });
    }

    // Each page's clock estimate, once a round is on (the lobby synced it, the game resyncs it).
    const clocks: Record<string, { offsetMs: number; roundTripMs: number }> = {};
    for (const [index, player] of everyone.entries()) {
      const stage = player.page.getByTestId("game-stage");
      await expect(stage).toHaveAttribute("data-stage", "round", { timeout: 60_000 });
      const offsetMs = Number(await stage.getAttribute("data-clock-offset-ms"));
      const roundTripMs = Number(await stage.getAttribute("data-clock-round-trip-ms"));
      clocks[player.name] = { offsetMs, roundTripMs };
      const profile = LINK_PROFILES[homes[index]!.profile];
      // The estimate is off by at most half the asymmetry of its best sample's round trip: bounded by
      // the link's jitter, plus the machine's own scheduling (a busy page reads the time late).
      const bound = profile.jitterMs + 50;
      expect(Math.abs(offsetMs), `${player.name}: clock offset error (ms), bound ${bound}`).toBeLessThanOrEqual(bound);
    }

    // Results on every phone, the same ranking everywhere.
    const totals: Record<string, number> = {};
    for (const player of everyone) {
      await expect(player.page.getByTestId("results"), `${player.name} sees the results`).toBeVisible({ timeout: 240_000 });
      const rows = player.page.getByTestId("ranking-row");
      await expect(rows).toHaveCount(3);
      for (const row of await rows.all()) {
        const name = ((await row.locator(".member-name").textContent()) ?? "").trim();
        const total = Number(await row.getAttribute("data-total"));
        if (player === host) totals[name] = total;
      }
    }
    const values = Object.values(totals);
    testInfo.annotations.push({ type: "totals", description: JSON.stringify(totals) });
    testInfo.annotations.push({ type: "clock estimates (ms)", description: JSON.stringify(clocks) });
    console.log(`network game: totals ${JSON.stringify(totals)}, clocks ${JSON.stringify(clocks)}`);
    expect(values).toHaveLength(3);
    for (const value of values) expect(value, "every phone scored").toBeGreaterThan(0);
    expect(Math.min(...values), `the link does not decide the score: ${JSON.stringify(totals)}`).toBeGreaterThanOrEqual(FAIR_SHARE * Math.max(...values));

    for (const player of everyone) expect(await reconnectingSeen(player.page), `${player.name} saw no one "reconnecting"`).toEqual([]);

    // Saved once: the history has this one match, with all three.
    await host!.page.getByTestId("match-link").click();
    await expect(host!.page.getByTestId("match-ranking")).toContainText("Cafe");
    await expect(host!.page.getByTestId("match-round")).toHaveCount(5);
    await host!.page.goto("/history");
    await expect(host!.page.getByTestId("match")).toHaveCount(1);
    for (const name of ["Wifi", "Lte", "Cafe"]) await expect(host!.page.getByTestId("match")).toContainText(name);
  });
});
