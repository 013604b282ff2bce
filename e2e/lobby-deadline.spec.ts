/**
 * The lobby's deadline rules (core/lobbyDeadline.ts) as players see them, with real Chromium, fake
 * cameras, real model loading and the test playlists' short deadlines (core/playlist.ts):
 * - a game never starts with zero players: when nobody can get ready, the lobby is called off at
 *   its hard cap and everyone is back in the room with the reason;
 * - the deadline counts stalls, not slow progress: a player whose download still moves keeps the
 *   lobby open and plays; a player whose download has all but stopped watches; the host can
 *   start with those ready all along.
 *
 * Only the network is mocked, per player, to make a download slow or dead: `route` holds requests
 * unanswered (a connection gone silent), and Chromium's own network throttling (DevTools
 * protocol, one URL pattern) makes a download trickle. The server, the pages, the downloads
 * themselves, the model creates and the inference are the real ones.
 */
import { writeFileSync } from "node:fs";
import type { CDPSession, Page, Route } from "@playwright/test";
import { test, expect, type Player } from "./support/players";
import { createRoom, joinByLink, settleFraming } from "./support/room";

/** What a page showed over time, recorded in the page: a lobby can change faster than a test polls three browsers. */
interface DeadlineSeen {
  /** Every room phase shown, in order, without repeats. */
  phases: string[];
  /** The role the game screen showed when it first appeared; null if it never did. */
  gameRole: string | null;
  /** Whether the host's "Start now" was ever shown. */
  startEarlyShown: boolean;
  /** Each time the lobby's countdown went up (the server moved the deadline on): every friend's row then. */
  extensions: { from: number; to: number; rows: Record<string, { status: string; percent: number }> }[];
  /** "seconds since the page loaded | countdown | phase | name:status:percent ...", on each change. */
  timeline: string[];
}

/**
 * The countdown goes up by at least this much when the deadline moves on (an extension is a third
 * of the base deadline, 15 s for "lobby-stall"); a smaller rise can be the page's estimate of the
 * server clock settling. A page starved of CPU for most of an extension misses that one.
 */
const EXTENSION_JUMP_S = 3;
/** A friend row of a player who finished loading ("framing": ready, still fixing the picture). */
const READY_ROW = /^(ready|framing)$/;

async function recordLobby(page: Page): Promise<void> {
  await page.addInitScript((jump) => {
    const seen: DeadlineSeen = { phases: [], gameRole: null, startEarlyShown: false, extensions: [], timeline: [] };
    (window as unknown as { __deadlineSeen: DeadlineSeen }).__deadlineSeen = seen;
    let lastSeconds: number | null = null;
    let lastLine = "";
    const look = (): void => {
      const phase = document.querySelector<HTMLElement>('[data-testid="room-phase"]')?.dataset.phase;
      if (phase && seen.phases.at(-1) !== phase) seen.phases.push(phase);
      const game = document.querySelector<HTMLElement>('[data-testid="game-stage"]');
      if (game && seen.gameRole === null) seen.gameRole = game.dataset.role ?? "?";
      if (document.querySelector('[data-testid="start-early"]')) seen.startEarlyShown = true;
      const rows: DeadlineSeen["extensions"][number]["rows"] = {};
      for (const row of document.querySelectorAll<HTMLElement>('[data-testid="friend-row"]')) {
        const name = row.querySelector(".member-name")?.textContent ?? "?";
        rows[name] = { status: row.dataset.status ?? "?", percent: Number(row.dataset.percent) };
      }
      const countdown = document.querySelector<HTMLElement>('[data-testid="lobby-deadline"]');
      const seconds = countdown ? Number(countdown.dataset.seconds) : null;
      if (seconds !== null && lastSeconds !== null && seconds - lastSeconds >= jump) seen.extensions.push({ from: lastSeconds, to: seconds, rows });
      lastSeconds = seconds;
      // This page's own lobby: its framing check and whether it is still measuring its plan.
      const lobby = document.querySelector<HTMLElement>('[data-testid="lobby"]');
      const own = lobby ? `${lobby.dataset.framing}${document.querySelector('[data-testid="plan-measuring"]') ? "+measuring" : ""}` : "-";
      const line = `${seconds} | ${phase} | own:${own} | ${Object.entries(rows)
        .map(([name, row]) => `${name}:${row.status}:${row.percent}`)
        .join(" ")}`;
      if (line !== lastLine) seen.timeline.push(`${(performance.now() / 1000).toFixed(1)} | ${line}`);
      lastLine = line;
    };
    document.addEventListener("DOMContentLoaded", () => {
      look();
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
  }, EXTENSION_JUMP_S);
}

async function seen(player: Player): Promise<DeadlineSeen> {
  return player.page.evaluate(() => (window as unknown as { __deadlineSeen: DeadlineSeen }).__deadlineSeen);
}

/** Holds every request matching `pattern` unanswered: a connection that went silent. Returns the held requests. */
async function holdRequests(player: Player, pattern: string): Promise<Route[]> {
  const held: Route[] = [];
  await player.context.route(pattern, (route) => {
    held.push(route);
  });
  return held;
}

/**
 * Makes this player's vision runtime download (13 MB decoded, about 3.9 MB gzip on the wire; a
 * third of the lobby's bar) trickle at `bytesPerSecond` on the wire, with Chromium's per-URL
 * network throttling; its other downloads keep full speed. Call it once the page is on the app's
 * origin. Returns a function that lifts it, for the download in flight too.
 */
async function throttleRuntime(player: Player, bytesPerSecond: number): Promise<() => Promise<void>> {
  const cdp: CDPSession = await player.context.newCDPSession(player.page);
  await cdp.send("Network.enable");
  const { origin } = new URL(player.page.url());
  await cdp.send("Network.emulateNetworkConditionsByRule", {
    matchedNetworkConditions: [{ urlPattern: `${origin}/vision/*.wasm`, latency: 0, downloadThroughput: bytesPerSecond, uploadThroughput: -1 }],
  });
  return async () => {
    await cdp.send("Network.emulateNetworkConditionsByRule", { matchedNetworkConditions: [] });
  };
}

test("nobody can get ready: the lobby is called off, never started with zero players, and everyone is back in the room", async ({ players }) => {
  test.setTimeout(120_000);
  const host = await players.launch({ name: "host", video: "messi5", cameraFps: 10 });
  const guest = await players.launch({ name: "guest", video: "astronaut", cameraFps: 10 });
  // Every vision request of both players goes unanswered: nobody can finish loading.
  const held = await Promise.all([host, guest].map((player) => holdRequests(player, "**/vision/**")));
  for (const player of [host, guest]) await recordLobby(player.page);

  // "lobby-call-off": a 3 s base deadline, checked again every 1 s, called off at the 9 s hard cap.
  const { link } = await createRoom(host.page, "Host", "lobby-call-off");
  await joinByLink(guest.page, link, "Guest");
  await host.page.getByTestId("start-game").click();

  for (const player of [host, guest]) {
    const notice = player.page.getByTestId("called-off-notice");
    await expect(notice, player.name).toBeVisible({ timeout: 60_000 });
    await expect(notice).toHaveAttribute("data-reason", "nobody_ready");
    await expect(notice).toContainText("nobody finished loading in time");
    await expect(player.page.getByTestId("room-phase")).toHaveAttribute("data-phase", "chatting");
    await expect(player.page.getByTestId("game-stage")).toHaveCount(0);
  }
  // Back in the room: the host can start again.
  await expect(host.page.getByTestId("start-game")).toBeEnabled();

  for (const player of [host, guest]) {
    const record = await seen(player);
    // The lobby opened and went straight back to the room: no game, not even one watched.
    expect(record.phases, player.name).toEqual(["chatting", "preloading", "chatting"]);
    expect(record.gameRole, player.name).toBeNull();
  }
  // With nobody ready the host was never offered to start.
  expect((await seen(host)).startEarlyShown).toBe(false);
  // The pages did ask for their models (the lobby really was loading).
  for (const requests of held) expect(requests.length).toBeGreaterThan(0);
});

test("the deadline waits for a download that still moves, not for one that stalled, and then plays with those ready", async ({ players }, testInfo) => {
  test.setTimeout(480_000);
  // Three browsers on two cores: 5 fps cameras keep the call's share of the machine down (e2e/README.md, "Load").
  const host = await players.launch({ name: "host", video: "messi5", cameraFps: 5 });
  const slow = await players.launch({ name: "slow", video: "messi5", cameraFps: 5 });
  const stuck = await players.launch({ name: "stuck", video: "astronaut", cameraFps: 5 });
  for (const player of [host, slow, stuck]) await recordLobby(player.page);

  // "lobby-stall": a 45 s base deadline, checked again every 15 s (a player counts as moving if
  // its bar moved in the last 60 s), hard cap at 300 s (core/playlist.ts says why).
  const { link } = await createRoom(host.page, "Host", "lobby-stall");
  await joinByLink(slow.page, link, "Slow");
  await joinByLink(stuck.page, link, "Stuck");
  await expect(host.page.getByTestId("member")).toHaveCount(3);
  // "Slow": the runtime trickles in at 25 KB/s on the wire, about 160 s for the whole file (well
  // past the first deadlines; the test lifts it after one), its bar moving a percent every 5 s or so. "Stuck": 2 KB/s, a link that has
  // all but died: its bar all but stops (a percent is over 100 KB on the wire here, a minute at
  // this rate; 1 KB/s left a starved page without a byte for 10 s too often), yet bytes still come, so its page does not give up on the download
  // (after 10 s without a byte it asks for the rest again, and fails only when several attempts in
  // a row get nothing) and it stays "loading".
  const liftSlowThrottle = await throttleRuntime(slow, 25_000);
  await throttleRuntime(stuck, 2_000);
  await host.page.getByTestId("start-game").click();

  let passed = false;
  try {
    // The host loads at full speed and is ready; "Start now" is offered from then on.
    const hostRow = host.page.locator('[data-testid="friend-row"]', { hasText: "Host" });
    await expect(hostRow).toHaveAttribute("data-status", READY_ROW, { timeout: 130_000 });
    await expect(host.page.getByTestId("start-early")).toBeVisible();

    // A deadline passes with the host ready, "Slow" still loading and "Stuck" stalled: nobody is
    // made a spectator, the deadline moves on (the countdown goes back up), the lobby goes on.
    const extensionWithHostReady = async () => (await seen(host)).extensions.find((extension) => READY_ROW.test(extension.rows.Host?.status ?? ""));
    await expect.poll(extensionWithHostReady, { timeout: 130_000 }).toBeDefined();
    const extended = (await extensionWithHostReady())!;
    expect(extended.rows.Slow?.status, JSON.stringify(extended)).toBe("loading");
    expect(extended.rows.Stuck?.status, JSON.stringify(extended)).toBe("loading");
    await expect(host.page.getByTestId("room-phase")).toHaveAttribute("data-phase", "preloading");
    await expect(host.page.getByTestId("game-stage")).toHaveCount(0);
    // The host could start with those ready at any time.
    await expect(host.page.getByTestId("start-early")).toBeVisible();
    // "Slow" is really moving: its bar has grown since that deadline.
    const slowRow = host.page.locator('[data-testid="friend-row"]', { hasText: "Slow" });
    await expect.poll(async () => Number(await slowRow.getAttribute("data-percent")), { timeout: 60_000 }).toBeGreaterThan(extended.rows.Slow!.percent);

    // Right after a deadline, the slow connection recovers: "Slow" finishes loading (its bar keeps
    // moving through every step), and at a later deadline the game starts with the host and
    // "Slow" playing while "Stuck", whose bar never moved again, watches.
    await liftSlowThrottle();
    for (const player of [host, slow]) await settleFraming(player.page, 240_000);
    await expect(host.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player", { timeout: 240_000 });
    await expect(slow.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player");
    await expect(stuck.page.getByTestId("game-stage")).toHaveAttribute("data-role", "spectator");
    for (const player of [host, slow, stuck]) {
      const record = await seen(player);
      expect(record.phases.slice(0, 3), player.name).toEqual(["chatting", "preloading", "playing"]);
      expect(record.gameRole, player.name).toBe(player === stuck ? "spectator" : "player");
    }
    // "Stuck" never gave up on its own: it was still loading, not failed, when the game began.
    const lastLobby = (await seen(host)).timeline.filter((line) => line.includes("preloading")).at(-1);
    expect(lastLobby).toMatch(/Stuck:loading:/);
    passed = true;
  } finally {
    // What each page saw, in order, for whoever reads a failure; printed too, so a CI log has it.
    for (const player of [host, slow, stuck]) {
      const timeline = (await seen(player).catch((error: unknown) => ({ timeline: [`(page did not answer: ${String(error)})`] }))).timeline;
      const timelinePath = testInfo.outputPath(`${player.name}-lobby-timeline.txt`);
      writeFileSync(timelinePath, timeline.join("\n"));
      await testInfo.attach(`${player.name}-lobby-timeline.txt`, { path: timelinePath, contentType: "text/plain" });
      if (!passed) console.log(`--- ${player.name}'s lobby timeline ---\n${timeline.join("\n")}`);
    }
  }
});
