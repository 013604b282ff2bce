/**
 * A laptop party over a real network: HTTPS=lan (README, "A party on your Wi-Fi").
 *
 * Two network namespaces joined by a veth pair stand in for the laptop and a phone on one Wi-Fi,
 * with addresses of their own (10.213.15.1 and .2, a /30 that leads nowhere else). The server
 * runs in the laptop's namespace exactly as `npm run party` starts it (production build,
 * HTTPS=lan, a fresh DATA_DIR); one Chromium runs there as the host at https://localhost, another
 * runs in the phone's namespace and can reach the laptop only through its LAN address. The phone
 * accepts the self-signed certificate (ignoreHTTPSErrors: a person tapping through the warning),
 * and the test checks what people would notice: the terminal prints the LAN address and a QR
 * code, the invite link shows that address (not localhost), the phone's camera and the call
 * work both ways, and the same room over plain http:// explains itself and links to https://.
 *
 * Needs root (ip netns). Skipped with a message outside CI when not root; under CI it must run.
 * Namespaces and processes are removed in afterAll, and leftovers of a killed run at the next start.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, expect, test, type Browser, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, PHONE_VIEWPORT, chromiumExecutablePath } from "./support/chromium";
import { processAlive, removeNamespace } from "./support/netlab";
import { callFrames } from "./support/room";

const inCi = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;

const PREFIX = "pp-e2e-";
const LAPTOP_NS = `${PREFIX}laptop-${process.pid}`;
const PHONE_NS = `${PREFIX}phone-${process.pid}`;
const LAPTOP_ADDRESS = "10.213.15.1";
const PHONE_ADDRESS = "10.213.15.2";
// Inside the laptop's own namespace: no other server can hold it.
const PORT = 3443;
const LAN_ORIGIN = `https://${LAPTOP_ADDRESS}:${PORT}`;
const ROOT = path.resolve(import.meta.dirname, "..");

function run(...args: string[]): string {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed (${result.status}): ${result.stderr || result.error?.message}`);
  return result.stdout;
}

/** Namespaces of runs that were killed before their afterAll (their pid is gone), with what still runs in them. */
function removeLeftoverNamespaces(): void {
  for (const line of run("ip", "netns", "list").split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const owner = Number(/^pp-e2e-\w+-(\d+)$/.exec(name)?.[1]);
    if (!owner || (owner !== process.pid && processAlive(owner))) continue;
    removeNamespace(name);
  }
}

function makeNetwork(): void {
  for (const name of [LAPTOP_NS, PHONE_NS]) run("ip", "netns", "add", name);
  // Both ends are created inside their namespaces: nothing appears in the host's network.
  run("ip", "link", "add", "name", "wlan0", "netns", LAPTOP_NS, "type", "veth", "peer", "name", "wlan0", "netns", PHONE_NS);
  for (const [name, address] of [
    [LAPTOP_NS, LAPTOP_ADDRESS],
    [PHONE_NS, PHONE_ADDRESS],
  ] as const) {
    run("ip", "-n", name, "addr", "add", `${address}/30`, "dev", "wlan0");
    run("ip", "-n", name, "link", "set", "wlan0", "up");
    run("ip", "-n", name, "link", "set", "lo", "up");
  }
}

/** A Chromium that runs inside the namespace (Playwright talks to it over inherited pipes, which cross namespaces). */
function chromiumIn(namespace: string, dir: string): string {
  const wrapper = path.join(dir, `chromium-${namespace}`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${namespace} ${chromiumExecutablePath()} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

interface LaptopServer {
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

async function startServerOnLaptop(dataDir: string): Promise<LaptopServer> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      LAPTOP_NS,
      "env",
      "NODE_ENV=production",
      `PORT=${PORT}`,
      "HOST=0.0.0.0",
      `DATA_DIR=${dataDir}`,
      "HTTPS=lan",
      "LOG_LEVEL=warn",
      "JOIN_RATE_PER_MINUTE=1000",
      path.join(ROOT, "node_modules/.bin/tsx"),
      "server/main.ts",
    ],
    { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } },
  );
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Its own process group: the signal reaches tsx and the node process it starts.
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    const killed = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 15_000);
    await exited;
    clearTimeout(killed);
  };
  // The banner is the last thing the server prints once it is ready.
  await expect
    .poll(() => (child.exitCode === null ? output.join("") : `exited: ${output.join("")}`), { timeout: 180_000, intervals: [500] })
    .toContain("Scan to open");
  return { child, output, stop };
}

/** The own camera and every friend's video keep producing frames (a frozen or black tile does not). */
async function expectCameraAndCallPlaying(page: Page, who: string): Promise<void> {
  await expect(page.getByTestId("remote-tile")).toHaveCount(1);
  const start = await (async () => {
    let first = { self: 0, remote: [0] };
    await expect
      .poll(
        async () => {
          first = await callFrames(page);
          return first.self > 0 && first.remote.every((count) => count > 0);
        },
        { message: `${who}: own camera and friend's video have frames`, timeout: 45_000 },
      )
      .toBe(true);
    return first;
  })();
  await expect
    .poll(
      async () => {
        const now = await callFrames(page);
        return now.self - start.self >= 3 && now.remote.every((count, index) => count - (start.remote[index] ?? 0) >= 3);
      },
      { message: `${who}: frames keep coming`, timeout: 30_000 },
    )
    .toBe(true);
}

test.describe("a laptop party over HTTPS on the LAN (network namespaces)", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");

  let dir: string | undefined;
  let server: LaptopServer | undefined;
  const browsers: Browser[] = [];

  test.beforeAll(() => {
    if (!isRoot) throw new Error("CI=true but not root: this test needs root for `ip netns` (.ci/run runs as root).");
    if (spawnSync("ip", ["-V"]).status !== 0) throw new Error("the `ip` command (iproute2) is missing: apt-get install -y iproute2 (.ci/run installs it)");
    removeLeftoverNamespaces();
    makeNetwork();
    dir = mkdtempSync(path.join(tmpdir(), "poseparty-lan-e2e-"));
  });

  test.afterAll(async () => {
    await Promise.allSettled(browsers.map((browser) => browser.close()));
    await server?.stop();
    removeNamespace(PHONE_NS);
    removeNamespace(LAPTOP_NS);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("the phone joins over https with camera and call; plain http explains and links to https", async ({}, testInfo) => {
    test.setTimeout(360_000);
    server = await startServerOnLaptop(path.join(dir!, "data"));
    const banner = server.output.join("");
    // The terminal: the LAN address (the only non-loopback one in the laptop's namespace) and a QR code of it.
    expect(banner).toContain(`Phones on the same Wi-Fi open:\n  ${LAN_ORIGIN}\n`);
    expect(banner).toContain(`Scan to open ${LAN_ORIGIN}:`);
    expect(banner).toMatch(/[▀▄█]{10}/);

    const launch = async (namespace: string) => {
      const browser = await chromium.launch({ executablePath: chromiumIn(namespace, dir!), args: [...CHROMIUM_ARGS], headless: true });
      browsers.push(browser);
      // As a person who tapped through the certificate warning.
      const context = await browser.newContext({ viewport: PHONE_VIEWPORT, ignoreHTTPSErrors: true });
      return context.newPage();
    };
    const laptop = await launch(LAPTOP_NS);
    const phone = await launch(PHONE_NS);

    // The host on the laptop itself: the invite shows the LAN address, not localhost.
    await laptop.goto(`https://localhost:${PORT}/`);
    await laptop.getByTestId("nickname-input").fill("Mina");
    await laptop.getByTestId("create-room").click();
    await expect(laptop.getByTestId("room-code")).toBeVisible();
    const code = ((await laptop.getByTestId("room-code").textContent()) ?? "").trim();
    const link = `${LAN_ORIGIN}/r/${code}`;
    await expect(laptop.getByTestId("room-link")).toHaveValue(link);
    await expect(laptop.getByTestId("qr-code")).toHaveAttribute("alt", link);

    // The phone opens the invite over the network, in a secure context, and joins.
    await phone.goto(link);
    expect(await phone.evaluate(() => window.isSecureContext)).toBe(true);
    await phone.getByTestId("nickname-input").fill("Jun");
    await phone.getByTestId("join-submit").click();
    await expect(phone.getByTestId("member-list")).toBeVisible();
    await expect(laptop.getByTestId("member-list")).toContainText("Jun");
    // Opened on the phone, the invite keeps the address the phone used.
    await expect(phone.getByTestId("room-link")).toHaveValue(link);

    await expectCameraAndCallPlaying(phone, "phone");
    await expectCameraAndCallPlaying(laptop, "laptop");
    await phone.screenshot({ path: testInfo.outputPath("lan-phone-call-https.png") });

    // The same room over plain http:// on the LAN address: no camera, an explanation and the way to https.
    const plain = await phone.context().newPage();
    await plain.goto(`http://${LAPTOP_ADDRESS}:${PORT}/r/${code}`);
    const notice = plain.getByTestId("insecure-context-notice");
    await expect(notice).toBeVisible();
    await expect(notice).toContainText("phones only open the camera on https:// pages");
    await expect(plain.getByTestId("secure-link")).toHaveAttribute("href", link);
    await expect(plain.getByTestId("nickname-input")).toHaveCount(0);
    await plain.screenshot({ path: testInfo.outputPath("lan-phone-plain-http.png") });
    await plain.getByTestId("secure-link").click();
    await expect(plain).toHaveURL(link);
    // A fresh page's socket over TLS, beside the phone's own page still in the call: a loaded CI
    // run showed "Connecting…" past the default 10 s.
    await expect(plain.getByTestId("nickname-input")).toBeVisible({ timeout: 30_000 });
  });
});
