/**
 * Real child processes for the restart and scale-out tests: the PoseParty server
 * (fixtures/serverProcess.ts, run by node with tsx's loader so signals reach the server itself,
 * not a wrapper) and Debian's redis-server, both on loopback ports.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { io as connect } from "socket.io-client";
import type { TestClient } from "./support";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SERVER_ENTRY = path.join(ROOT, "tests/integration/fixtures/serverProcess.ts");

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Every log line so far (pino JSON), for assertions and for a failing test's message. */
  logLines: string[];
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  connectClient(): Promise<TestClient>;
  /** Sends the signal and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node --import tsx fixtures/serverProcess.ts` with the given environment; resolves once it logs "ready".
 * The server leads its own process group (tsx's esbuild service runs in it too): a start that
 * times out kills that whole group before it rejects, and so does this process's exit while one
 * is still running, so no server is left behind holding a port or a data folder.
 */
export async function startServerProcess(env: Record<string, string>, startTimeoutMs = 90_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER_ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const logLines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // Detached, it no longer gets the terminal's Ctrl-C with this process: kill it when this one exits.
  const killOnExit = (): void => killProcessGroup(child);
  process.once("exit", killOnExit);
  void exited.then(() => process.removeListener("exit", killOnExit));
  const clients: TestClient[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      const error = new Error(`server did not start in time:\n${logLines.slice(-20).join("\n")}`);
      settled = true;
      killProcessGroup(child);
      void exited.then(() => reject(error));
    }, startTimeoutMs);
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        logLines.push(line);
        const entry = parseLogLine(line);
        if (entry?.msg === "ready" && typeof entry.url === "string") {
          const readyUrl = entry.url;
          settle(() => resolve(readyUrl));
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => logLines.push(chunk.toString()));
    void exited.then((code) => {
      settle(() => reject(new Error(`server exited (${code}) before it was ready:\n${logLines.slice(-20).join("\n")}`)));
    });
  });
  return {
    url,
    child,
    logLines,
    exited,
    async connectClient() {
      const client: TestClient = connect(url, { transports: ["websocket"], forceNew: true, reconnection: false });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("connect_error", reject);
      });
      return client;
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      for (const client of clients) client.disconnect();
      return code;
    },
  };
}

/** SIGKILL to every process in the group `child` leads (spawned with `detached: true`); none left is fine. */
function killProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

export function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(line);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
