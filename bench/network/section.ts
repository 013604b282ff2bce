/**
 * Network (issue 21): the call across the network lab (e2e/support/netlab.ts), every phone in
 * its own home behind a `home` router, all on one link profile, with STUN and TURN configured as
 * a host would. For each profile and member count: each joining phone's time from joining to its
 * first decoded frame of a friend, then over a window of steady chatting each friend's tile on
 * every phone (decoded fps, freezes per minute), the round trip of each connection, what every
 * phone sends against its uplink, and which candidate pairs were selected.
 *
 * Cameras are moving, noisy pictures (fakeVideo's `motion`) at CAMERA_FPS, so encoders spend what
 * they are allowed, as real cameras do. All browsers share this machine's cores: the machine's
 * CPU busy share during each window is reported beside the numbers, since a saturated machine
 * freezes tiles too. Needs root (network namespaces).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { LINK_PROFILES, startNetlab, type LinkProfileName, type Netlab } from "../../e2e/support/netlab";
import { KEEP_NAMES_SHIM, RECORD_PEER_CONNECTIONS, describePair, phoneWindow, sampleConnections, type PhoneWindow } from "../../e2e/support/peerStats";
import type { Player } from "../../e2e/support/players";
import { callFrames, createRoom, joinByLink } from "../../e2e/support/room";
import { REPO_ROOT, machineCpuTimes, sleep } from "../lib/proc";
import { round, summarize } from "../lib/stats";

const CAMERA_FPS = 10;

export interface NetworkCell {
  profile: LinkProfileName;
  members: number;
}

export interface NetworkOptions {
  smoke: boolean;
  cells: NetworkCell[];
  /** Chatting before the window, so bandwidth estimates and degradation have settled. */
  settleMs: number;
  windowMs: number;
  log: (line: string) => void;
}

/** `BENCH_NETWORK_CELLS=4g:4,bad-wifi:6` measures only those cells (a developer's quick look). */
function cellsFromEnv(): NetworkCell[] | null {
  const text = process.env.BENCH_NETWORK_CELLS?.trim();
  if (!text) return null;
  return text.split(",").map((part) => {
    const [profile, members] = part.trim().split(":");
    if (!profile || !(profile in LINK_PROFILES) || !/^[2-6]$/.test(members ?? ""))
      throw new Error(`BENCH_NETWORK_CELLS: ${part}: use profile:members, profile one of ${Object.keys(LINK_PROFILES).join(", ")}, members 2..6`);
    return { profile: profile as LinkProfileName, members: Number(members) };
  });
}

export function networkOptions(smoke: boolean, log: (line: string) => void): NetworkOptions {
  const chosen = cellsFromEnv();
  if (chosen) return { smoke, cells: chosen, settleMs: smoke ? 3_000 : 20_000, windowMs: smoke ? 5_000 : 30_000, log };
  if (smoke) return { smoke, cells: [{ profile: "wifi", members: 2 }], settleMs: 3_000, windowMs: 5_000, log };
  const cells: NetworkCell[] = [];
  for (const profile of ["wifi", "4g", "bad-wifi"] as const) for (const members of [2, 4, 6]) cells.push({ profile, members });
  return { smoke, cells, settleMs: 20_000, windowMs: 30_000, log };
}

export interface NetworkCellResult extends NetworkCell {
  /** Each joiner: joining (link opened) to its first decoded frame of a friend; null: none came. */
  joinToFirstFrameMs: (number | null)[];
  /** Over every tile on every phone in the window. */
  decodedFpsP50: number | null;
  decodedFpsMin: number | null;
  /** Tiles below 1 fps in the window (frozen or audio-only). */
  stillTiles: number;
  tiles: number;
  freezesPerMinute: number | null;
  freezeSecondsPerMinute: number | null;
  rttMsP50: number | null;
  /** Each phone's total sent, kbit/s, and its uplink. */
  sentKbps: number[];
  uplinkKbps: number;
  /** The lowest resolution any phone encoded at the window's end. */
  outboundHeightMin: number | null;
  pairTypes: Record<string, number>;
  /** Phones showing a friend's tile as audio-only for a slow uplink, at the window's end. */
  audioOnlyTiles: number;
  /**
   * The game's clock estimate made from each home during the window (bench/network/clockProbe.ts:
   * the phone's algorithm over the same link while the call fills it): the largest |error| and the
   * largest round trip of the samples it kept.
   */
  clockErrorMsMax: number | null;
  clockRoundTripMsMax: number | null;
  machineCpuBusyPercent: number | null;
  error?: string;
}

export interface NetworkSectionData {
  cameraFps: number;
  settleMs: number;
  windowMs: number;
  cells: NetworkCellResult[];
}

const HOME_NAMES = ["ana", "ben", "cho", "dan", "eun", "fay"];

export async function runNetworkSection(options: NetworkOptions): Promise<NetworkSectionData> {
  const homes = Math.max(...options.cells.map((cell) => cell.members));
  const lab = await startNetlab({ homes: HOME_NAMES.slice(0, homes).map((name) => ({ name, router: "home" as const })) });
  const cells: NetworkCellResult[] = [];
  try {
    for (const cell of options.cells) {
      options.log(`network: ${cell.profile}, ${cell.members} members`);
      cells.push(await runCell(lab, cell, options));
    }
  } finally {
    await lab.close();
  }
  return { cameraFps: CAMERA_FPS, settleMs: options.settleMs, windowMs: options.windowMs, cells };
}

async function runCell(lab: Netlab, cell: NetworkCell, options: NetworkOptions): Promise<NetworkCellResult> {
  const homes = lab.homes.slice(0, cell.members);
  const players: Player[] = [];
  const result: NetworkCellResult = {
    ...cell,
    joinToFirstFrameMs: [],
    decodedFpsP50: null,
    decodedFpsMin: null,
    stillTiles: 0,
    tiles: 0,
    freezesPerMinute: null,
    freezeSecondsPerMinute: null,
    rttMsP50: null,
    sentKbps: [],
    uplinkKbps: LINK_PROFILES[cell.profile].upMbit * 1000,
    outboundHeightMin: null,
    pairTypes: {},
    audioOnlyTiles: 0,
    clockErrorMsMax: null,
    clockRoundTripMsMax: null,
    machineCpuBusyPercent: null,
  };
  try {
    for (const home of homes) await home.setProfile(cell.profile);
    for (const home of homes) {
      const player = await home.launchPlayer({ name: home.name, video: "messi5", cameraFps: CAMERA_FPS, cameraMotion: true });
      await player.context.addInitScript(KEEP_NAMES_SHIM);
      await player.context.addInitScript(RECORD_PEER_CONNECTIONS);
      players.push(player);
    }
    const [host, ...guests] = players;
    if (!host) throw new Error("no players");
    const { link } = await createRoom(host.page, host.name);
    // Joined one after another, as friends tapping a link do; each one's first friend frame is timed.
    const firstFrames = guests.map(async (guest) => {
      const began = performance.now();
      await joinByLink(guest.page, link, guest.name);
      const deadline = began + 60_000;
      while (performance.now() < deadline) {
        if ((await callFrames(guest.page)).remote.some((frames) => frames > 0)) return performance.now() - began;
        await sleep(200);
      }
      return null;
    });
    result.joinToFirstFrameMs = (await Promise.all(firstFrames)).map((ms) => (ms === null ? null : Math.round(ms)));
    for (const player of players) await waitForTiles(player, cell.members - 1);
    await sleep(options.settleMs);

    const before = await Promise.all(players.map((player) => sampleConnections(player.page)));
    const cpuBefore = machineCpuTimes();
    const clocks = Promise.all(homes.map((home) => probeClock(home.ns, lab.cloud.origin, options.smoke ? 2 : 5)));
    await sleep(options.windowMs);
    const estimates = (await clocks).flat();
    if (estimates.length > 0) {
      result.clockErrorMsMax = Math.round(Math.max(...estimates.map((estimate) => Math.abs(estimate.offsetMs))));
      result.clockRoundTripMsMax = Math.round(Math.max(...estimates.map((estimate) => estimate.roundTripMs)));
    }
    const cpuAfter = machineCpuTimes();
    const after = await Promise.all(players.map((player) => sampleConnections(player.page)));
    if (cpuBefore && cpuAfter && cpuAfter.total > cpuBefore.total)
      result.machineCpuBusyPercent = Math.round((100 * (cpuAfter.busy - cpuBefore.busy)) / (cpuAfter.total - cpuBefore.total));
    const windows: PhoneWindow[] = players.map((_, index) => phoneWindow(before[index] ?? [], after[index] ?? []));
    summarise(result, windows, options.windowMs);
    for (const player of players) result.audioOnlyTiles += await player.page.locator('[data-testid="remote-tile"][data-video-paused="uplink"]').count();
  } catch (error) {
    result.error = error instanceof Error ? error.message.split("\n")[0] : String(error);
    options.log(`network: ${cell.profile} x${cell.members}: ${result.error}`);
  } finally {
    await Promise.allSettled(players.map((player) => player.close()));
    for (const home of homes) await home.setProfile("none").catch(() => undefined);
  }
  return result;
}

async function waitForTiles(player: Player, friends: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  let states: string[] = [];
  while (performance.now() < deadline) {
    const samples = await sampleConnections(player.page);
    states = samples.map((sample) => sample.state);
    if (states.filter((state) => state === "connected").length >= friends) return;
    await sleep(500);
  }
  const tiles = await player.page
    .locator('[data-testid="remote-tile"]')
    .evaluateAll((elements) => elements.map((element) => element.getAttribute("data-status")));
  throw new Error(
    `${player.name}: not connected to ${friends} friends within 60 s (connections: ${states.join(", ") || "none"}; tiles: ${tiles.join(", ") || "none"})`,
  );
}

function summarise(result: NetworkCellResult, windows: PhoneWindow[], windowMs: number): void {
  const tiles = windows.flatMap((window) => window.tiles);
  const minutes = windowMs / 60_000;
  const fps = summarize(tiles.map((tile) => tile.decodedFps));
  result.tiles = tiles.length;
  result.decodedFpsP50 = round(fps.p50);
  result.decodedFpsMin = tiles.length > 0 ? round(Math.min(...tiles.map((tile) => tile.decodedFps))) : null;
  result.stillTiles = tiles.filter((tile) => tile.decodedFps < 1).length;
  result.freezesPerMinute = tiles.length > 0 ? round(tiles.reduce((sum, tile) => sum + tile.freezes, 0) / tiles.length / minutes, 2) : null;
  result.freezeSecondsPerMinute = tiles.length > 0 ? round(tiles.reduce((sum, tile) => sum + tile.freezeSeconds, 0) / tiles.length / minutes, 2) : null;
  const rtts = tiles.flatMap((tile) => (tile.rttMs === null ? [] : [tile.rttMs]));
  result.rttMsP50 = rtts.length > 0 ? round(summarize(rtts).p50, 0) : null;
  result.sentKbps = windows.map((window) => Math.round(window.sentKbps));
  const heights = windows.flatMap((window) => (window.outboundHeight === null ? [] : [window.outboundHeight]));
  result.outboundHeightMin = heights.length > 0 ? Math.min(...heights) : null;
  for (const tile of tiles) {
    const type = tile.pair ? describePair(tile.pair) : "none";
    result.pairTypes[type] = (result.pairTypes[type] ?? 0) + 1;
  }
}

/** The clock probe run inside a home; [] when it failed (the cell's other numbers still count). */
function probeClock(ns: string, origin: string, rounds: number): Promise<{ offsetMs: number; roundTripMs: number }[]> {
  return new Promise((resolve) => {
    const child = spawn(
      "ip",
      ["netns", "exec", ns, path.join(REPO_ROOT, "node_modules/.bin/tsx"), path.join(REPO_ROOT, "bench/network/clockProbe.ts"), origin, String(rounds)],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", () => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(out.trim().split("\n").pop() ?? "{}") as { estimates?: { offsetMs: number; roundTripMs: number }[] }).estimates ?? []);
      } catch {
        resolve([]);
      }
    });
  });
}
