/** Processes, ports and /proc sampling for the bench (Linux). */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers 2xx, the process dies, or the timeout passes. */
export async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode} before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

/**
 * Starts a TypeScript entry point in its own Node process (`node --import tsx FILE`), so the
 * child's pid is the process doing the work (no tsx wrapper in between) and /proc shows its CPU.
 */
export function spawnTs(file: string, options: SpawnOptions = {}): ChildProcess & { output: string[] } {
  return spawnNode(file, { ...options, nodeArgs: [...(options.nodeArgs ?? []), "--import", "tsx"] });
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  args?: string[];
  nodeArgs?: string[];
  ipc?: boolean;
  logPrefix?: string;
  quiet?: boolean;
}

/** `node [nodeArgs] FILE [args]` (plain JavaScript, e.g. a server bundle), output kept as spawnTs does. */
export function spawnNode(file: string, options: SpawnOptions = {}): ChildProcess & { output: string[] } {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), file, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    child.output.push(text);
    if (child.output.length > 400) child.output.splice(0, child.output.length - 400);
    if (!options.quiet) process.stderr.write(text.replace(/^/gm, options.logPrefix ?? ""));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Only for our own children. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcSample {
  at: number;
  /** utime + stime, ms of CPU. */
  cpuMs: number;
  /** stime alone: the kernel's work for the process (on loopback, much of the network stack's, both ends). */
  systemMs: number;
  rssBytes: number;
}

/** One reading of a process's CPU time and resident memory from /proc. */
export function readProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
    return {
      at: performance.now(),
      cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND,
      systemMs: (stime * 1000) / CLOCK_TICKS_PER_SECOND,
      rssBytes: rssKb * 1024,
    };
  } catch {
    return null;
  }
}

/** Resident memory of a process and all its descendants (every thread's children), bytes. */
export function treeRssBytes(pid: number): number | null {
  const own = readProc(pid);
  if (!own) return null;
  let total = own.rssBytes;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return total;
  }
  for (const task of tasks) {
    let children: string[];
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const child of children) total += treeRssBytes(Number(child)) ?? 0;
  }
  return total;
}

/** Samples a process every `intervalMs` until stopped; summarises CPU % (100 = one core) and RSS. */
export class ProcSampler {
  private readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 250,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  sample(): void {
    const reading = readProc(this.pid);
    if (reading) this.samples.push(reading);
  }

  stop(): { cpuPercent: number | null; systemCpuPercent: number | null; rssMaxBytes: number | null; rssEndBytes: number | null; samples: number } {
    clearInterval(this.timer);
    this.sample();
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at)
      return { cpuPercent: null, systemCpuPercent: null, rssMaxBytes: null, rssEndBytes: null, samples: this.samples.length };
    return {
      cpuPercent: (100 * (last.cpuMs - first.cpuMs)) / (last.at - first.at),
      systemCpuPercent: (100 * (last.systemMs - first.systemMs)) / (last.at - first.at),
      rssMaxBytes: Math.max(...this.samples.map((sample) => sample.rssBytes)),
      rssEndBytes: last.rssBytes,
      samples: this.samples.length,
    };
  }
}

/** Whole-machine CPU busy fraction between two readings of /proc/stat (0..1). */
export function machineCpuTimes(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.reduce((sum, value) => sum + value, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export function loadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

/** Whole-machine CPU busy % (all cores, every process) over `sampleMs`. */
export async function machineBusyPercent(sampleMs = 2_000): Promise<number | null> {
  const before = machineCpuTimes();
  await sleep(sampleMs);
  const after = machineCpuTimes();
  if (!before || !after || after.total <= before.total) return null;
  return Math.round((100 * (after.busy - before.busy)) / (after.total - before.total));
}

/**
 * Waits (up to `maxWaitMs`) until the machine is mostly idle before a measurement, so the
 * previous section's browsers or another user's job are not in the numbers. Returns the last
 * busy reading and how long it waited.
 */
export async function waitForQuiet(maxWaitMs: number, busyBelowPercent = 25): Promise<{ busyPercent: number | null; waitedMs: number }> {
  const began = Date.now();
  let busy = await machineBusyPercent();
  while (busy !== null && busy >= busyBelowPercent && Date.now() - began < maxWaitMs) busy = await machineBusyPercent();
  return { busyPercent: busy, waitedMs: Date.now() - began };
}
