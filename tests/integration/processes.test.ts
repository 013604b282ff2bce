/**
 * The test-process helpers themselves: a server start that times out leaves nothing running.
 * Linux only (it reads /proc), like the restart and scale-out tests that use these helpers.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServerProcess } from "./processes";

/** Pids of the processes whose environment holds `entry` ("NAME=value"), children included. */
function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(entry)) pids.push(Number(name));
    } catch {
      // Gone since the listing, or not ours to read.
    }
  }
  return pids;
}

describe("startServerProcess", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it("kills the server it started (and its children) when the start times out", async () => {
    // A PostgreSQL "server" that accepts connections and never answers: the server's start-up waits
    // on it (the pool gives up after 10 s), so it cannot be ready within this test's 3 s limit.
    const sockets: Socket[] = [];
    const silentDatabase: Server = createServer((socket) => {
      sockets.push(socket);
      // Read (and drop) what the client sends, so its going away ends and closes the socket: an
      // unread start-up message would hold back the end of stream; a reset is not an error here.
      socket.resume();
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silentDatabase.listen(0, "127.0.0.1", resolve));
    const dbPort = (silentDatabase.address() as { port: number }).port;
    const dataDir = mkdtempSync(path.join(tmpdir(), "poseparty-processes-"));
    const marker = `POSEPARTY_PROCESS_TEST=${randomUUID()}`;
    const [markerName, markerValue] = marker.split("=") as [string, string];
    cleanups.push(() => {
      // Whatever a failing run left behind.
      for (const pid of processesWithEnv(marker)) process.kill(pid, "SIGKILL");
      for (const socket of sockets) socket.destroy();
      silentDatabase.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const start = startServerProcess(
      { PORT: "0", DATA_DIR: dataDir, DATABASE_URL: `postgresql://test:test@127.0.0.1:${dbPort}/test`, [markerName]: markerValue },
      3_000,
    );
    const rejected = expect(start).rejects.toThrow(/did not start in time/);
    // It is running before the limit (environ shows the marker once node has started).
    await expect.poll(() => processesWithEnv(marker).length, { timeout: 2_500, interval: 20 }).toBeGreaterThan(0);

    await rejected;
    // Nothing it started is left: no process with its environment, and the database connection is closed.
    expect(processesWithEnv(marker)).toEqual([]);
    await expect.poll(() => sockets.every((socket) => socket.closed || socket.readableEnded), { timeout: 10_000 }).toBe(true);
  });
});
