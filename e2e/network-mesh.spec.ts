/**
 * The mesh under a real uplink (issue 21, part 4): three phones in three homes on Wi-Fi, each
 * camera a moving, noisy picture (so encoders spend what they are allowed, as real cameras do).
 * One phone's upload then drops to `edge` (250 kbit/s, 300 ms): too little for even two small
 * videos. The product steps that phone's video down on purpose (client/call/uplinkGovernor.ts)
 * instead of letting both friends' tiles of it freeze:
 * - that phone goes audio-only and tells its player why; its friends' tiles show its avatar with
 *   "audio only: slow net", and its voice keeps arriving;
 * - the friends' call between themselves is untouched: their tiles keep playing;
 * - when the upload comes back, video comes back by itself, without a reload.
 * How long each step takes is measured and attached; the bounds are deadlines, not speed goals.
 * The 4- and 6-member rooms on `4g` and `bad-wifi` are measured by `npm run bench -- --only network`
 * (six browsers on two cores are a benchmark's job, not a test's).
 * Needs root (ip netns). Skipped with a message outside CI when not root; under CI it must run.
 */
import { writeFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import type { Home } from "./support/netlab";
import { RECORD_PEER_CONNECTIONS, sampleConnections } from "./support/peerStats";
import type { Player } from "./support/players";
import { callFrames, createRoom, joinByLink } from "./support/room";
import { useLab } from "./support/useLab";

const inCi = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;
const CAMERA_FPS = 10;
/**
 * Deadlines for the uplink governor, measured in this lab (see e2e/README.md, "Network lab"):
 * going audio-only takes the connections' estimates settling plus two samples in which most of
 * them are held back (2 to 47 s measured, 34 s in a loaded CI run); coming back
 * takes the governor's wait (20 s) plus a settled estimate. Loaded CI machines take longer.
 */
const AUDIO_ONLY_BOUND_MS = 120_000;
/** The governor's wait before a try doubles after each failed one (up to 160 s): one failed try during the narrow phase is allowed for. */
const VIDEO_BACK_BOUND_MS = 150_000;

/** Frames decoded in the tile of `playerId` on `page`. */
function tileFrames(page: Page, playerId: string): Promise<number> {
  return page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(`[data-testid="remote-tile"][data-player="${id}"] video`);
    return video && video.videoWidth > 0 ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
  }, playerId);
}

/**
 * Runs a step on `player`'s uplink; when it fails, the error carries what the phone's uplink
 * governor saw in its last samples (meshCall.ts logs one line per sample), because CI's log keeps
 * only the error text, not the attachments.
 */
async function withUplinkTrace(player: Player, step: Promise<void>): Promise<void> {
  try {
    await step;
  } catch (error) {
    const samples = player.logs.filter((line) => line.includes("[call] uplink")).slice(-40);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${player.name}'s uplink governor, last samples:\n${samples.join("\n")}`, { cause: error });
  }
}

/** How `playerId`'s tile on `page` looks now, read in one go: paused for the uplink, with the note and avatar. */
function slowNetTile(page: Page, playerId: string, note: string) {
  return page.evaluate(
    ({ id, text }) => {
      const tile = document.querySelector<HTMLElement>(`[data-testid="remote-tile"][data-player="${id}"]`);
      // As Playwright's toBeVisible reads it: a box with a size, and not visibility: hidden.
      const shown = (element: Element | null | undefined) => {
        const box = element?.getBoundingClientRect();
        return Boolean(element && box && box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden");
      };
      return {
        pausedForUplink: tile?.dataset.videoPaused === "uplink",
        saysWhy: Boolean(tile?.textContent?.includes(text)),
        videoShown: shown(tile?.querySelector("video")),
        avatarShown: shown(tile?.querySelector(".call-avatar")),
      };
    },
    { id: playerId, text: note },
  );
}

async function expectTilePlaying(page: Page, playerId: string, message: string): Promise<void> {
  const first = await tileFrames(page, playerId);
  await expect.poll(async () => (await tileFrames(page, playerId)) - first, { message, timeout: 30_000 }).toBeGreaterThanOrEqual(5);
}

/** Audio bytes received so far over all of the page's connections (one friend each). */
async function audioReceived(page: Page): Promise<number[]> {
  return (await sampleConnections(page)).filter((sample) => sample.state === "connected").map((sample) => sample.audioBytesReceived);
}

test.describe("the mesh under a narrow uplink (network namespaces)", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");
  const { lab, players } = useLab({
    homes: [
      { name: "ana", router: "home", profile: "wifi" },
      { name: "ben", router: "home", profile: "wifi" },
      { name: "cho", router: "home", profile: "wifi" },
    ],
  });

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("a phone whose upload cannot carry video goes audio-only, says so, and gets video back", async ({}, testInfo) => {
    test.setTimeout(480_000);
    // Cho and Ben read Korean, Ana English: the notes are checked (and pictured) in both.
    const launch = async (home: Home, locale: string) => {
      const player = await home.launchPlayer({
        name: home.name,
        video: "messi5",
        cameraFps: CAMERA_FPS,
        cameraMotion: true,
        contextOptions: { viewport: { width: 390, height: 844 }, locale },
      });
      await player.context.addInitScript(RECORD_PEER_CONNECTIONS);
      players.push(player);
      return player;
    };
    const [anaHome, benHome, choHome] = [lab().home("ana"), lab().home("ben"), lab().home("cho")];
    const ana = await launch(anaHome, "en-US");
    const ben = await launch(benHome, "ko-KR");
    const cho = await launch(choHome, "ko-KR");
    const { link } = await createRoom(ana.page, "ana");
    await joinByLink(ben.page, link, "ben");
    await joinByLink(cho.page, link, "cho");
    const idOf = async (player: Player) => (await player.page.getByTestId("self-tile").getAttribute("data-player")) ?? "";
    const choId = await idOf(cho);
    const benId = await idOf(ben);
    for (const player of [ana, ben, cho]) {
      await expect(player.page.getByTestId("remote-tile")).toHaveCount(2, { timeout: 30_000 });
      await expect
        .poll(async () => (await callFrames(player.page)).remote.every((frames) => frames > 0), {
          message: `${player.name}: both friends' video`,
          timeout: 60_000,
        })
        .toBe(true);
    }
    // On Wi-Fi every phone sends video (a starved machine's congestion control may step one down
    // for a while, as below; it must come back).
    for (const player of [ana, ben, cho]) {
      await withUplinkTrace(
        player,
        expect(player.page.getByTestId("self-tile"), `${player.name} sends video on Wi-Fi`).not.toHaveAttribute("data-uplink-level", "audio-only", {
          timeout: 60_000,
        }),
      );
    }

    // cho's upload drops to 250 kbit/s.
    await choHome.setProfile("edge");
    const narrowedAt = Date.now();
    await withUplinkTrace(
      cho,
      expect(cho.page.getByTestId("self-tile"), "cho's phone stops sending video").toHaveAttribute("data-uplink-level", "audio-only", {
        timeout: AUDIO_ONLY_BOUND_MS,
      }),
    );
    const audioOnlyAfterMs = Date.now() - narrowedAt;
    const picture = async (player: Player) => {
      const file = testInfo.outputPath(`slow-uplink-${player.name}.png`);
      await player.page.screenshot({ path: file });
      await testInfo.attach(`slow-uplink-${player.name}.png`, { path: file, contentType: "image/png" });
    };
    await expect(cho.page.getByTestId("slow-uplink-note")).toContainText("영상을 멈췄어요");
    await picture(cho);
    // While the link stays narrow, cho's phone still tries video again now and then (uplinkGovernor.ts:
    // after 20 s, then 40 s, ...) and goes back to audio-only when the try meets congestion. On a
    // loaded machine the checks below can straddle such a try, so each tile is read whole, at once,
    // until it shows the audio-only state.
    for (const [friend, note] of [
      [ana, "audio only: slow net"],
      [ben, "음성만: 연결이 느림"],
    ] as const) {
      await expect
        .poll(() => slowNetTile(friend.page, choId, note), { message: `${friend.name}: cho's tile says why there is no video`, timeout: 60_000 })
        .toEqual({ pausedForUplink: true, saysWhy: true, videoShown: false, avatarShown: true });
      await picture(friend);
    }
    // cho is still heard: the audio from every friend connection keeps arriving at ana's phone.
    const audioBefore = await audioReceived(ana.page);
    await expect
      .poll(async () => (await audioReceived(ana.page)).every((bytes, index) => bytes > (audioBefore[index] ?? 0) + 4_000), {
        message: "ana hears both friends",
        timeout: 15_000,
      })
      .toBe(true);
    // One friend's narrow link is no reason for the others to send less: their own uplinks are fine.
    const friendLevels: Record<string, string | null> = {};
    // On a starved 2-core machine a friend's own congestion control can read the CPU's delays as a
    // narrow link and step down for a while (seen once at load 29): it must be sending video again
    // within a minute, while cho's link is still narrow.
    for (const friend of [ana, ben]) {
      const selfTile = friend.page.getByTestId("self-tile");
      await withUplinkTrace(
        friend,
        expect(selfTile, `${friend.name} still sends video`).not.toHaveAttribute("data-uplink-level", "audio-only", { timeout: 60_000 }),
      );
      friendLevels[friend.name] = await selfTile.getAttribute("data-uplink-level");
    }
    // ana and ben still see each other: one narrow uplink does not freeze the rest of the room.
    await expectTilePlaying(ana.page, benId, "ana: ben's video keeps playing");
    await cho.page.evaluate(() => ((window as unknown as { __meshMarker: boolean }).__meshMarker = true));

    // The upload comes back: so does cho's video, by itself.
    await choHome.setProfile("wifi");
    const widenedAt = Date.now();
    // Read together: a try that meets the last of the congestion falls back to audio-only (and
    // waits twice as long), so "cho's level is up" alone may pass on a try that then fails.
    const videoBack = async () => {
      const choLevel = await cho.page.getByTestId("self-tile").getAttribute("data-uplink-level");
      const pausedAt = await Promise.all(
        [ana, ben].map((friend) => friend.page.locator(`[data-testid="remote-tile"][data-player="${choId}"]`).getAttribute("data-video-paused")),
      );
      return { choSendsVideo: choLevel !== "audio-only", friendsTilesPaused: pausedAt.filter((paused) => paused === "uplink").length };
    };
    // Video is back when, over the last 2 s or more, cho kept sending and both friends' tiles of
    // cho decoded frames. Read as one history, so a try that fails after its first frames (the
    // governor then waits longer and tries again) is not taken for video that came back.
    const history: { atMs: number; choSendsVideo: boolean; friendsTilesPaused: number; frames: number[] }[] = [];
    const videoPlaysAgain = async () => {
      const now = { atMs: Date.now(), ...(await videoBack()), frames: await Promise.all([ana, ben].map((friend) => tileFrames(friend.page, choId))) };
      history.push(now);
      const sending = (sample: (typeof history)[number]) => sample.choSendsVideo && sample.friendsTilesPaused === 0;
      // Where the current run of sending samples began (none: the latest is not sending).
      let start = history.length - 1;
      if (sending(now)) while (start > 0 && sending(history[start - 1]!)) start -= 1;
      const from = history[start]!;
      // Summed step by step: a tile whose connection was rebuilt starts counting its frames afresh.
      const decoded = now.frames.map((_, index) =>
        history.slice(start + 1).reduce((sum, sample, step) => sum + Math.max(0, (sample.frames[index] ?? 0) - (history[start + step]!.frames[index] ?? 0)), 0),
      );
      return { choSendsVideo: now.choSendsVideo, friendsTilesPaused: now.friendsTilesPaused, playingForMs: sending(now) ? now.atMs - from.atMs : 0, decoded };
    };
    await withUplinkTrace(
      cho,
      expect
        .poll(
          async () => {
            const state = await videoPlaysAgain();
            return state.playingForMs >= 2_000 && state.decoded.every((frames) => frames >= 5) ? "playing" : JSON.stringify(state);
          },
          { message: "cho's phone sends video again, and both friends' tiles of cho play it", timeout: VIDEO_BACK_BOUND_MS },
        )
        .toBe("playing"),
    );
    const videoBackAfterMs = Date.now() - widenedAt;
    expect(await cho.page.evaluate(() => (window as unknown as { __meshMarker?: boolean }).__meshMarker), "no reload").toBe(true);
    const timings = { audioOnlyAfterMs, videoBackAfterMs, friendLevels };
    testInfo.annotations.push({ type: "uplink governor (ms)", description: JSON.stringify(timings) });
    console.log(`uplink governor: audio-only ${audioOnlyAfterMs} ms after the uplink narrowed; video back ${videoBackAfterMs} ms after it widened`);
    writeFileSync(testInfo.outputPath("cho-uplink-samples.txt"), cho.logs.filter((line) => line.includes("[call] uplink")).join("\n"));
    const uplinkLog = cho.logs.filter((line) => line.includes("[call] uplink") && !line.includes("uplink sample"));
    await testInfo.attach("cho-uplink-steps.txt", { body: uplinkLog.join("\n"), contentType: "text/plain" });
    console.log(uplinkLog.join("\n"));
  });
});
