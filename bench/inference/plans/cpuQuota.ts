/** `inference.plans`: the slow-phone profile, a cgroup v1 CPU quota the whole measured browser runs in. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromiumExecutablePath } from "../../../e2e/support/chromium";
import { sleep } from "../../lib/proc";
import { CGROUP_CPU_ROOT, type CpuProfile } from "./options";

// ---------------------------------------------------------------------------------------------
// The CPU quota

/** A cgroup v1 `cpu` group with a CFS quota, and a Chromium wrapper that enters it before exec. */
export class CpuQuotaGroup {
  private constructor(
    readonly dir: string,
    private readonly parent: string,
    readonly wrapper: string,
    private readonly wrapperDir: string,
  ) {}

  /** Throws when the group cannot be made (not root, no cgroup v1 cpu controller). */
  static create(quota: NonNullable<CpuProfile["quota"]>): CpuQuotaGroup {
    const line = readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((entry) => entry.split(":")[1]?.split(",").includes("cpu"));
    const own = line?.split(":")[2] ?? "/";
    const parent = path.join(CGROUP_CPU_ROOT, own);
    if (!existsSync(path.join(parent, "cgroup.procs"))) throw new Error(`no cgroup v1 cpu controller at ${parent}`);
    const dir = path.join(parent, `poseparty-bench-${process.pid}-${Date.now()}`);
    mkdirSync(dir);
    try {
      writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(quota.periodUs));
      writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(quota.quotaUs));
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    const wrapperDir = mkdtempSync(path.join(os.tmpdir(), "poseparty-bench-quota-"));
    const wrapper = path.join(wrapperDir, "chromium-in-quota.sh");
    const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
    // The browser and every process it starts inherit the group; no entry, no launch.
    writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${quote(path.join(dir, "cgroup.procs"))} || exit 97\nexec ${quote(chromiumExecutablePath())} "$@"\n`);
    chmodSync(wrapper, 0o755);
    return new CpuQuotaGroup(dir, parent, wrapper, wrapperDir);
  }

  /** PIDs in the group now. */
  pids(): number[] {
    try {
      return readFileSync(path.join(this.dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Waits for the browser's processes to exit, moves any straggler out, removes the group. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 20 && this.pids().length > 0; attempt++) await sleep(250);
    // Stragglers go back to our own group, so the directory can go.
    for (const pid of this.pids()) {
      try {
        writeFileSync(path.join(this.parent, "cgroup.procs"), String(pid));
      } catch {
        // gone meanwhile
      }
    }
    try {
      rmdirSync(this.dir);
    } catch {
      // retried once below, after the last processes had time to exit
      await sleep(1_000);
      try {
        rmdirSync(this.dir);
      } catch {
        // left for the operator: reported in the log by the caller's note
      }
    }
    rmSync(this.wrapperDir, { recursive: true, force: true });
  }

  get removed(): boolean {
    return !existsSync(this.dir);
  }
}
