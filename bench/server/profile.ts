/**
 * Where a capacity step's server CPU goes: one step of the capacity ladder (section.ts) at a
 * chosen size, with V8's CPU profiler running in the server under test during the measured
 * window only (not its start-up or the rooms' set-up). Writes the `.cpuprofile` (open it in
 * Chrome DevTools or speedscope) and prints the step's numbers, the top functions by self time,
 * self time by package, and the garbage collector's share.
 *
 *   npx tsx bench/server/profile.ts [--target game|relay] [--rooms 200] [--interval-us 500] [--out DIR]
 *
 * Not part of `npm run bench`: a tool for finding what to make cheaper.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, loadAverage, stopChild } from "../lib/proc";
import { forkGenerator, runStep, serverOptions, startTarget, type Generator } from "./section";
import { askProfiler, type LoadMode } from "./protocol";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function parseArgs(argv: string[]): { target: LoadMode; rooms: number; intervalUs: number; out: string } {
  const args = { target: "game" as LoadMode, rooms: 200, intervalUs: 500, out: path.join(REPO_ROOT, "bench/results/profiles") };
  for (let index = 0; index < argv.length; index++) {
    const [name, value] = [argv[index], argv[index + 1]];
    if (name === "--target" && (value === "game" || value === "relay")) args.target = value;
    else if (name === "--rooms") args.rooms = Number(value);
    else if (name === "--interval-us") args.intervalUs = Number(value);
    else if (name === "--out" && value) args.out = path.resolve(value);
    else throw new Error(`usage: tsx bench/server/profile.ts [--target game|relay] [--rooms N] [--interval-us N] [--out DIR] (at ${name})`);
    index++;
  }
  if (!(args.rooms > 0) || !(args.intervalUs > 0)) throw new Error("--rooms and --interval-us must be positive");
  return args;
}

/** Where a function lives: `node_modules/<package>`, `node:<module>`, the app's own file, or V8. */
function placeOf(url: string): string {
  if (url === "") return "(V8 / native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return url;
  const file = url.replace(/^file:\/\//, "");
  return path.relative(REPO_ROOT, file);
}

export function summarizeProfile(profile: CpuProfile, top = 40): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  const keyOf = (frame: CallFrame) =>
    frame.url === "" ? frame.functionName || "(anonymous)" : `${frame.functionName || "(anonymous)"} ${placeOf(frame.url)}:${frame.lineNumber + 1}`;
  for (let index = 0; index < profile.samples.length; index++) {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const node = byId.get(profile.samples[index]!);
    if (!node) continue;
    total += ms;
    const key = keyOf(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + ms);
    const place = ["(idle)", "(program)", "(garbage collector)"].includes(node.callFrame.functionName)
      ? node.callFrame.functionName
      : placeOf(node.callFrame.url);
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = node.id; at !== undefined; at = parent.get(at)) {
      const frameKey = keyOf(byId.get(at)!.callFrame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      inclusive.set(frameKey, (inclusive.get(frameKey) ?? 0) + ms);
    }
  }
  const idle = self.get("(idle)") ?? 0;
  const busy = total - idle;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)} %`;
  const rows = (map: Map<string, number>, count: number) =>
    [...map]
      .filter(([key]) => key !== "(idle)" && key !== "(root)")
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, ms]) => `  ${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${key}`);
  return [
    `profiled ${(total / 1000).toFixed(1)} s: busy ${(busy / 1000).toFixed(1)} s (${((busy / total) * 100).toFixed(0)} % of one core), ` +
      `garbage collector ${pct(self.get("(garbage collector)") ?? 0).trim()} of busy`,
    "",
    "self time by place (% of busy):",
    ...rows(byPlace, 25),
    "",
    `top ${top} functions by self time (% of busy):`,
    ...rows(self, top),
    "",
    `top ${top} functions by inclusive time (% of busy):`,
    ...rows(inclusive, top),
  ].join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.error(line);
  const options = serverOptions(false, log);
  mkdirSync(args.out, { recursive: true });
  const file = path.join(args.out, `${args.target}-${args.rooms}r-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
  const generators: Generator[] = [];
  let server: { child: ChildProcess; url: string } | null = null;
  try {
    server = await startTarget(args.target, log);
    for (let index = 0; index < options.generators; index++) generators.push(forkGenerator(index));
    const child = server.child;
    log(`load average before: ${loadAverage().join(" ")}`);
    const step = await runStep(args.target, server.url, child.pid!, generators, args.rooms, 0, options, 50, {
      opened: () => askProfiler(child, { type: "profile", action: "start", intervalUs: args.intervalUs }, "started"),
      closed: () => askProfiler(child, { type: "profile", action: "stop", file }, "written"),
    });
    log(`load average after: ${loadAverage().join(" ")}`);
    const { firstAttempt: _first, ...shown } = step;
    console.log(JSON.stringify(shown, null, 1));
    console.log(`\nprofile: ${path.relative(process.cwd(), file)}\n`);
    console.log(summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile));
  } finally {
    await Promise.all(generators.map((generator) => stopChild(generator.child, 3_000)));
    if (server) await stopChild(server.child, 8_000);
  }
}

await main();
