/**
 * The built-in call with real Chromium processes, each with its own fake camera and microphone:
 * everyone sees everyone's video really playing, switches show up on friends' tiles, a reload
 * reconnects, a player who leaves disappears, and a refused camera still joins with audio only.
 */
import type { Page, TestInfo } from "@playwright/test";
import type { CallDebug } from "@/client/call/useCall";
import { test, expect, type Player } from "./support/players";
import { createRoom, joinByLink } from "./support/room";

interface TileFrames {
  /** The page's clock when read: a busy page answers late, so rates use this, not the test's clock. */
  at: number;
  tiles: Record<string, { width: number; frames: number }>;
}

/** Frames decoded by each remote tile's <video>, keyed by player id. */
function tileFrames(page: Page): Promise<TileFrames> {
  return page.evaluate(() => {
    const tiles: Record<string, { width: number; frames: number }> = {};
    for (const tile of document.querySelectorAll<HTMLElement>('[data-testid="remote-tile"]')) {
      const video = tile.querySelector("video");
      if (video && tile.dataset.player) {
        tiles[tile.dataset.player] = { width: video.videoWidth, frames: video.getVideoPlaybackQuality().totalVideoFrames };
      }
    }
    return { at: performance.now(), tiles };
  });
}

/** `window.__poseparty.call` (client/call/useCall.tsx), the hook benchmarks read. */
function decodedFrames(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => (window.__poseparty?.call as CallDebug | undefined)?.decodedFrames() ?? {});
}

function peerStatuses(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => (window.__poseparty?.call as CallDebug | undefined)?.peers() ?? {});
}

/**
 * Waits until the page shows exactly these friends with video playing, then measures decoded
 * frames per second over a few seconds. "Playing" means frames keep being decoded: at least
 * MIN_NEW_FRAMES in one window (a new connection starts slowly, and CI machines are busy), so a
 * frozen tile fails and a slow one does not. Returns frames/s per friend.
 */
const MIN_NEW_FRAMES = 3;

async function expectFriendsPlaying(player: Player, friendIds: string[], testInfo: TestInfo, seconds = 3): Promise<Record<string, number>> {
  const { page } = player;
  await expect(page.getByTestId("remote-tile")).toHaveCount(friendIds.length);
  for (const id of friendIds) await expect(page.locator(`[data-testid="remote-tile"][data-player="${id}"]`)).toBeVisible();
  await expect
    .poll(async () => Object.values((await tileFrames(page)).tiles).filter((tile) => tile.width > 0 && tile.frames > 0).length, {
      message: `${player.name}: every friend's video has a size and frames`,
      timeout: 20_000,
    })
    .toBe(friendIds.length);
  let rates: Record<string, number> = {};
  await expect
    .poll(
      async () => {
        const before = await tileFrames(page);
        await page.waitForTimeout(seconds * 1000);
        const after = await tileFrames(page);
        const elapsed = (after.at - before.at) / 1000;
        rates = {};
        const stalled: string[] = [];
        for (const id of friendIds) {
          const added = (after.tiles[id]?.frames ?? 0) - (before.tiles[id]?.frames ?? 0);
          rates[id] = Math.round((added / elapsed) * 10) / 10;
          if (added < MIN_NEW_FRAMES) stalled.push(id);
        }
        return stalled;
      },
      { message: `${player.name}: frames from every friend keep being decoded`, timeout: 30_000, intervals: [0] },
    )
    .toEqual([]);
  // The benchmark hook counts the same friends.
  const exported = await decodedFrames(player.page);
  expect(Object.keys(exported).sort()).toEqual([...friendIds].sort());
  testInfo.annotations.push({ type: "remote fps", description: `${player.name}: ${JSON.stringify(rates)}` });
  console.log(`[call.spec] ${player.name} decodes remote video at ${JSON.stringify(rates)} frames/s`);
  return rates;
}

async function playerId(page: Page): Promise<string> {
  const id = await page.getByTestId("self-tile").getAttribute("data-player");
  if (!id) throw new Error("no self tile");
  return id;
}

test("three phones see and hear each other; switches, a reload and a leave show up on every screen", async ({ players }, testInfo) => {
  test.setTimeout(360_000);
  const host = await players.launch({ name: "host-messi", video: "messi5" });
  const astro = await players.launch({ name: "astronaut", video: "astronaut" });
  const third = await players.launch({ name: "empty", video: "empty" });

  const { link } = await createRoom(host.page, "Mina");
  await joinByLink(astro.page, link, "Astro");
  await joinByLink(third.page, link, "Jun");
  const ids = { host: await playerId(host.page), astro: await playerId(astro.page), third: await playerId(third.page) };

  const everyone = [host, astro, third];
  const idOf = (player: Player) => (player === host ? ids.host : player === astro ? ids.astro : ids.third);
  for (const player of everyone) {
    const friends = everyone.filter((other) => other !== player).map(idOf);
    await expectFriendsPlaying(player, friends, testInfo);
    // The own camera is in the grid, mirrored, and the friends' names are on their tiles.
    await expect(player.page.getByTestId("self-tile").locator("video")).toHaveCount(1);
    await expect(player.page.getByTestId("remote-tile").locator(".call-nickname")).toHaveText(
      everyone.filter((other) => other !== player).map((other) => (other === host ? "Mina" : other === astro ? "Astro" : "Jun")),
    );
    expect(Object.values(await peerStatuses(player.page))).toEqual(["connected", "connected"]);
  }

  await host.page.screenshot({ path: testInfo.outputPath("call-3-phone-360x740.png") });
  await host.page.setViewportSize({ width: 1280, height: 720 });
  await host.page.waitForTimeout(500);
  await host.page.screenshot({ path: testInfo.outputPath("call-3-laptop-1280x720.png") });
  await host.page.setViewportSize({ width: 360, height: 740 });

  // Mute and camera off on one phone: the others' tiles say so, and the video stops being shown.
  await astro.page.getByTestId("toggle-mic").click();
  await astro.page.getByTestId("toggle-camera").click();
  for (const player of [host, third]) {
    const tile = player.page.locator(`[data-testid="remote-tile"][data-player="${ids.astro}"]`);
    await expect(tile).toHaveAttribute("data-muted", "true");
    await expect(tile).toHaveAttribute("data-camera-off", "true");
    await expect(tile.locator(".call-avatar")).toBeVisible();
  }
  await expect(astro.page.getByTestId("self-tile")).toHaveAttribute("data-camera-off", "true");
  await astro.page.getByTestId("toggle-mic").click();
  await astro.page.getByTestId("toggle-camera").click();
  for (const player of [host, third]) {
    const tile = player.page.locator(`[data-testid="remote-tile"][data-player="${ids.astro}"]`);
    await expect(tile).toHaveAttribute("data-muted", "false");
    await expect(tile).toHaveAttribute("data-camera-off", "false");
  }
  await expectFriendsPlaying(host, [ids.astro, ids.third], testInfo, 2);

  // A reload is a new page and a new connection on both ends: video comes back by itself.
  await third.page.reload();
  await expect(third.page.getByTestId("self-tile")).toHaveAttribute("data-player", ids.third);
  await expectFriendsPlaying(third, [ids.host, ids.astro], testInfo, 2);
  await expectFriendsPlaying(host, [ids.astro, ids.third], testInfo, 2);

  // One leaves: the two others each drop to one remote tile, still playing.
  await third.page.getByTestId("leave-room").click();
  await expect(third.page).toHaveURL(/\/$/);
  await expectFriendsPlaying(host, [ids.astro], testInfo, 2);
  await expectFriendsPlaying(astro, [ids.host], testInfo, 2);
});

test("a refused camera still joins with audio only and sees the others", async ({ players }, testInfo) => {
  test.setTimeout(120_000);
  const host = await players.launch({ name: "host-messi", video: "messi5" });
  const listener = await players.launch({ name: "no-camera", video: "astronaut" });
  // This phone refuses the camera (as after "Block"), but allows the microphone.
  await listener.page.addInitScript(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (constraints?: MediaStreamConstraints) =>
      constraints?.video ? Promise.reject(new DOMException("Permission denied", "NotAllowedError")) : original(constraints);
  });

  const { link } = await createRoom(host.page, "Mina");
  await joinByLink(listener.page, link, "Ears");
  const hostId = await playerId(host.page);
  const listenerId = await playerId(listener.page);

  await expect(listener.page.getByTestId("call-camera-notice")).toContainText("Camera access was refused");
  await expect(listener.page.getByTestId("self-tile")).toHaveAttribute("data-camera-off", "true");
  await expect(listener.page.getByTestId("self-tile")).toHaveAttribute("data-muted", "false");
  await expectFriendsPlaying(listener, [hostId], testInfo, 2);

  // The host sees an audio-only friend: camera off, not muted, connected.
  const tile = host.page.locator(`[data-testid="remote-tile"][data-player="${listenerId}"]`);
  await expect(tile).toHaveAttribute("data-camera-off", "true");
  await expect(tile).toHaveAttribute("data-muted", "false");
  await expect(tile).toHaveAttribute("data-status", "connected");
  await expect.poll(() => peerStatuses(host.page)).toEqual({ [listenerId]: "connected" });
});
