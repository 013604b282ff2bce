/**
 * Lobby: real players (one Chromium each, own fake camera) in one room of the real app on
 * loopback. The host starts a test playlist; each page's `window.__poseparty.lobby` (the
 * preload's own PreloadReport) gives per-asset bytes, download, create and warm-up times, and
 * its long tasks. The host's page times Start -> all ready. Meanwhile every page samples the
 * call's decoded remote frames, so frames per second while chatting can be compared with the
 * same during the lobby (the freeze the product exists to avoid).
 */
import type { Page } from "@playwright/test";
import type { PosePartyDebug } from "../../client/vision/debugExport";
import type { TestPlaylistId } from "../../core/playlist";
import { launchPlayer, type Player } from "../../e2e/support/players";
import { createRoom, joinByLink } from "../../e2e/support/room";
import type { FakeVideoName } from "../../e2e/support/fakeVideo";
import { sleep } from "../lib/proc";
import { round } from "../lib/stats";
import type { AppServer } from "../lib/appServer";

export interface LobbyOptions {
  smoke: boolean;
  players: { name: string; video: FakeVideoName }[];
  playlist: TestPlaylistId;
  /** How long the call is watched while chatting, before Start. */
  chattingMs: number;
  /** Start -> game on every page. */
  lobbyTimeoutMs: number;
  log: (line: string) => void;
}

export function lobbyOptions(smoke: boolean, log: (line: string) => void): LobbyOptions {
  return smoke
    ? {
        smoke,
        players: [
          { name: "host", video: "messi5" },
          { name: "astro", video: "astronaut" },
        ],
        playlist: "messi",
        chattingMs: 2_000,
        lobbyTimeoutMs: 150_000,
        log,
      }
    : {
        smoke,
        players: [
          { name: "host", video: "messi5" },
          { name: "astro", video: "astronaut" },
          { name: "empty", video: "empty" },
        ],
        playlist: "all-models",
        chattingMs: 6_000,
        lobbyTimeoutMs: 200_000,
        log,
      };
}

type PreloadReport = NonNullable<PosePartyDebug["lobby"]>;

export interface LobbyAssetRow {
  key: string;
  bytes: number;
  /** Per player, in player order. */
  wireBytes: (number | null)[];
  downloadMs: (number | null)[];
  createMs: (number | null)[];
  warmupMs: (number | null)[];
}

export interface CallFrames {
  /** Mean over every remote tile on every page: decoded frames per second. */
  chattingFps: number | null;
  lobbyFps: number | null;
  /** The lowest 1-second rate of any remote tile during the lobby. */
  lobbyMinFps: number | null;
  tiles: number;
  note?: string;
}

export interface LobbySectionData {
  playlist: TestPlaylistId;
  players: {
    name: string;
    video: FakeVideoName;
    timeToReadyMs: number | null;
    longTaskMs: number | null;
    longTaskCount: number | null;
    warmupSource: string | null;
    sha256Thread: string | null;
    wasmSimd: boolean | null;
  }[];
  assets: LobbyAssetRow[];
  /** Host's view: click on Start -> every friend row shows ready at 100 %. */
  startToAllReadyMs: number | null;
  /** Host's view: click on Start -> the room leaves the lobby (includes the server's 800 ms pause on full bars). */
  startToPlayingMs: number | null;
  call: CallFrames;
}

interface PageTimeline {
  clickAt: number | null;
  allReadyAt: number | null;
  phases: { phase: string; at: number }[];
  samples: { at: number; phase: string; frames: Record<string, number> }[];
}

/**
 * Installed in every page while chatting: phase changes, "all ready" rows, the click on Start,
 * and the call's decoded frames every 250 ms. Plain JavaScript source (not a function) so that
 * no helper of the TypeScript loader leaks into the page.
 */
const RECORDER_SOURCE = `(() => {
  const recorder = { clickAt: null, allReadyAt: null, phases: [], samples: [] };
  window.__benchLobby = recorder;
  const phaseOf = () => document.querySelector('[data-testid="room-phase"]')?.dataset.phase ?? "?";
  const check = () => {
    const phase = phaseOf();
    if (recorder.phases.at(-1)?.phase !== phase) recorder.phases.push({ phase, at: performance.now() });
    if (recorder.allReadyAt === null) {
      const rows = [...document.querySelectorAll('[data-testid="friend-row"]')];
      if (rows.length > 0 && rows.every((row) => row.dataset.status === "ready" && row.dataset.percent === "100")) recorder.allReadyAt = performance.now();
    }
  };
  new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true });
  check();
  const sample = () => {
    const call = window.__poseparty?.call;
    recorder.samples.push({ at: performance.now(), phase: phaseOf(), frames: call ? call.decodedFrames() : {} });
    if (recorder.samples.length < 4000) setTimeout(sample, 250);
  };
  sample();
  document.addEventListener("click", (event) => {
    if (event.target?.closest?.('[data-testid="start-game"]')) recorder.clickAt ??= performance.now();
  }, { capture: true });
})()`;

async function installRecorder(page: Page): Promise<void> {
  await page.evaluate(RECORDER_SOURCE);
}

function timeline(page: Page): Promise<PageTimeline> {
  return page.evaluate(() => (window as unknown as { __benchLobby: PageTimeline }).__benchLobby);
}

async function waitForCall(page: Page, friends: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const peers = await page.evaluate(
      () => (window as unknown as { __poseparty?: { call?: { peers(): Record<string, string> } } }).__poseparty?.call?.peers() ?? {},
    );
    if (Object.values(peers).filter((status) => status === "connected").length >= friends) return true;
    await sleep(500);
  }
  return false;
}

/** Decoded frames per second per tile between two times, from the 250 ms samples. */
function rate(samples: PageTimeline["samples"], from: number, to: number): Record<string, number> {
  const inside = samples.filter((sample) => sample.at >= from && sample.at <= to);
  const first = inside[0];
  const last = inside.at(-1);
  if (!first || !last || last.at - first.at < 500) return {};
  const rates: Record<string, number> = {};
  for (const [id, frames] of Object.entries(last.frames)) {
    const before = first.frames[id];
    if (before !== undefined) rates[id] = ((frames - before) * 1000) / (last.at - first.at);
  }
  return rates;
}

function minWindowRate(samples: PageTimeline["samples"], from: number, to: number): number | null {
  let min: number | null = null;
  const inside = samples.filter((sample) => sample.at >= from && sample.at <= to);
  for (let i = 0; i < inside.length; i++) {
    const a = inside[i]!;
    const b = inside.find((sample) => sample.at >= a.at + 1_000);
    if (!b) break;
    for (const [id, frames] of Object.entries(b.frames)) {
      const before = a.frames[id];
      if (before === undefined) continue;
      const fps = ((frames - before) * 1000) / (b.at - a.at);
      min = min === null ? fps : Math.min(min, fps);
    }
  }
  return min;
}

const mean = (values: number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null);

export async function runLobbySection(options: LobbyOptions, app: AppServer): Promise<LobbySectionData> {
  const players: Player[] = [];
  try {
    for (const spec of options.players) players.push(await launchPlayer({ name: spec.name, video: spec.video, baseURL: app.url }));
    const [host, ...guests] = players as [Player, ...Player[]];
    const { link } = await createRoom(host.page, "Host", options.playlist);
    for (const [index, guest] of guests.entries()) await joinByLink(guest.page, link, `Guest${index + 1}`);
    await host.page
      .getByTestId("member")
      .nth(players.length - 1)
      .waitFor({ timeout: 30_000 });

    const friends = players.length - 1;
    const connected = await Promise.all(players.map((player) => waitForCall(player.page, friends, 60_000)));
    const callNote = connected.every(Boolean)
      ? undefined
      : `the call did not connect on ${connected.filter((ok) => !ok).length} of ${players.length} pages within 60 s`;
    if (callNote) options.log(`lobby: ${callNote}`);
    await Promise.all(players.map((player) => installRecorder(player.page)));
    await sleep(options.chattingMs);

    options.log(`lobby: ${players.length} players, playlist ${options.playlist}: Start`);
    // Generous: three browsers with a live call on 2 cores can keep a renderer from taking input for a while.
    await host.page.getByTestId("start-game").click({ timeout: 120_000 });
    // A camera that does not show what the playlist needs fails the lobby's framing check: that
    // player taps "Play anyway" as soon as it shows, as people would (the all-ready times include it).
    for (const player of players) {
      void player.page
        .getByTestId("framing-play-anyway")
        .click({ timeout: options.lobbyTimeoutMs })
        .catch(() => undefined);
    }
    await Promise.all(
      players.map((player) =>
        player.page
          .locator('[data-testid="room-phase"][data-phase="playing"], [data-testid="game-stage"]')
          .first()
          .waitFor({ timeout: options.lobbyTimeoutMs }),
      ),
    );
    await sleep(500);

    const reports = await Promise.all(
      players.map((player) => player.page.evaluate(() => (window as unknown as { __poseparty?: PosePartyDebug }).__poseparty?.lobby ?? null)),
    );
    const timelines = await Promise.all(players.map((player) => timeline(player.page)));

    // Host's clock: Start -> all rows ready, Start -> playing.
    const hostLine = timelines[0]!;
    const clickAt = hostLine.clickAt;
    const playingAt = hostLine.phases.find((entry) => entry.phase === "playing")?.at ?? null;
    const startToAllReadyMs = clickAt !== null && hostLine.allReadyAt !== null ? hostLine.allReadyAt - clickAt : null;
    const startToPlayingMs = clickAt !== null && playingAt !== null ? playingAt - clickAt : null;

    // Decoded frames: chatting = the samples before the lobby; lobby = from preloading to playing, per page.
    const chatting: number[] = [];
    const lobby: number[] = [];
    const minima: number[] = [];
    let tiles = 0;
    for (const line of timelines) {
      const lobbyAt = line.phases.find((entry) => entry.phase === "preloading")?.at;
      const endAt = line.phases.find((entry) => entry.phase === "playing")?.at;
      if (lobbyAt === undefined || endAt === undefined) continue;
      const chat = rate(line.samples, 0, lobbyAt);
      const load = rate(line.samples, lobbyAt, endAt);
      tiles += Object.keys(chat).length;
      chatting.push(...Object.values(chat));
      lobby.push(...Object.values(load));
      const min = minWindowRate(line.samples, lobbyAt, endAt);
      if (min !== null) minima.push(min);
    }
    const call: CallFrames = {
      chattingFps: round(mean(chatting), 1),
      lobbyFps: round(mean(lobby), 1),
      lobbyMinFps: minima.length ? round(Math.min(...minima), 1) : null,
      tiles,
    };
    if (callNote) call.note = callNote;
    else if (tiles === 0) call.note = "no remote tile reported decoded frames (window.__poseparty.call.decodedFrames)";

    const keys = [...new Set(reports.flatMap((report) => report?.assets.map((asset) => asset.key) ?? []))];
    const assets: LobbyAssetRow[] = keys.map((key) => {
      const of = (report: PreloadReport | null) => report?.assets.find((asset) => asset.key === key);
      return {
        key,
        bytes: reports.map(of).find(Boolean)?.bytes ?? 0,
        wireBytes: reports.map((report) => of(report)?.wireBytes ?? null),
        downloadMs: reports.map((report) => round(of(report)?.downloadMs, 0)),
        createMs: reports.map((report) => round(of(report)?.createMs, 0)),
        warmupMs: reports.map((report) => round(of(report)?.warmupMs, 0)),
      };
    });
    return {
      playlist: options.playlist,
      players: options.players.map((spec, index) => {
        const report = reports[index] ?? null;
        return {
          name: spec.name,
          video: spec.video,
          timeToReadyMs: round(report?.timeToReadyMs, 0),
          longTaskMs: round(report?.longTaskMs, 0),
          longTaskCount: report?.longTaskCount ?? null,
          warmupSource: report?.warmupSource ?? null,
          sha256Thread: report?.sha256Thread ?? null,
          wasmSimd: report?.wasmSimd ?? null,
        };
      }),
      assets,
      startToAllReadyMs: round(startToAllReadyMs, 0),
      startToPlayingMs: round(startToPlayingMs, 0),
      call,
    };
  } finally {
    await Promise.allSettled(players.map((player) => player.close()));
  }
}
