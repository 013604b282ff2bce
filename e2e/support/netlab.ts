/**
 * A small internet in network namespaces, for tests that need real networks (issue 21).
 *
 *   const lab = await startNetlab({ homes: [{ name: "mina", router: "home" }, { name: "jun", router: "symmetric" }] });
 *   const mina = await lab.home("mina").launchPlayer({ name: "mina", video: "messi5" });
 *   ...
 *   await lab.close(); // also after a failure: kills every process and deletes every namespace
 *
 * The picture, every box a namespace the lab made (names end in the test process's pid):
 *
 *   [home N] eth0 10.213.N.2 --- lan0 10.213.N.1 [router N] wan0 100.64.213.(20+N) ---+
 *                                                                                      | br0 [inet]
 *   [cloud] eth0 100.64.213.10 and .11 (PoseParty server, coturn) ---------------------+
 *
 * "inet" is a bridge standing in for the internet: the routers and the cloud share one subnet.
 * Its own address, 100.64.213.1, is everyone's default route and forwards nothing: the edge
 * where packets for private addresses die, as on the internet. A router NATs its home's 10.213.N.0/24 to its wan0 address:
 * - `home`: MASQUERADE, which keeps the inside port when it is free: the same public port
 *   towards every destination (endpoint-independent mapping, RFC 4787), as home routers do.
 * - `symmetric`: MASQUERADE --random-fully: a new random public port for each destination
 *   (address-and-port-dependent mapping), as many carrier-grade NATs do. Peers cannot punch
 *   through it; only a relay works.
 * - `udp-blocked`: `home`, but the router drops every UDP packet from the home (hotel, school or
 *   office Wi-Fi): only TCP leaves.
 * coturn runs the host's deploy/turnserver.conf (no relaying into private networks), with the
 * lab's addresses, ports and secret on top.
 * Both kinds filter inbound packets by connection (conntrack), like real routers.
 *
 * Nothing is added to the machine's own network namespace: every address, route and rule lives
 * in a namespace the lab made, and the addresses (100.64.213.0/24, 10.213.N.0/24) lead nowhere
 * else. Needs root. Namespaces of a killed run (its pid gone) are removed at the next start, like
 * e2e/lan-https.spec.ts does (same `pp-e2e-<role>-<pid>` names).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromiumExecutablePath } from "./chromium";
import { launchPlayer, type Player, type PlayerOptions } from "./players";
import type { StunProbeRequest, StunProbeResult } from "./stunProbe";

export type RouterKind = "home" | "symmetric" | "udp-blocked";

export interface LinkProfile {
  /** Added round-trip time (ms): half on the way up, half on the way down. */
  rttMs: number;
  /** Jitter of that round trip (ms, +-). */
  jitterMs: number;
  /** Packets lost on the way up (percent). */
  lossPercent: number;
  /** Upload rate (Mbit/s). */
  upMbit: number;
  /** Download rate (Mbit/s), on the router's side of the home's link; unlimited when absent. */
  downMbit?: number;
}

/** The named link profiles (issue 21), applied on a home's uplink. */
export const LINK_PROFILES = {
  wifi: { rttMs: 20, jitterMs: 2, lossPercent: 0.1, upMbit: 20 },
  "4g": { rttMs: 60, jitterMs: 20, lossPercent: 1, upMbit: 4 },
  "bad-wifi": { rttMs: 150, jitterMs: 60, lossPercent: 3, upMbit: 1.5 },
  // Not in issue 21's table: a phone at a congested cell's edge (or fallen back to EDGE), whose
  // upload cannot carry even two small videos; the mesh must go audio-only on purpose there.
  edge: { rttMs: 300, jitterMs: 50, lossPercent: 2, upMbit: 0.25 },
  // A slow mobile link whose download rate is the bottleneck: the lobby's 9 MB take long enough
  // to lose the link in the middle (e2e/network-download.spec.ts).
  "3g": { rttMs: 100, jitterMs: 10, lossPercent: 0, upMbit: 1, downMbit: 4 },
} as const satisfies Record<string, LinkProfile>;
export type LinkProfileName = keyof typeof LINK_PROFILES;

/** What a profile was made of: netem where the kernel has it, else tbf, an iptables drop and the lab's delay line. */
export interface AppliedProfile {
  name: LinkProfileName | "none";
  /** Delay and jitter: netem, or the lab's delay line (NFQUEUE, e2e/support/delayLine.py) without netem. */
  delay: boolean;
  /** Loss: netem, or an iptables `statistic` rule in the router without netem. */
  loss: boolean;
  /** Upload rate: netem's rate, or tbf without netem (and the download rate where the profile has one). */
  rate: boolean;
}

export interface HomeSpec {
  /** Short word ([a-z0-9]), used in logs. */
  name: string;
  router: RouterKind;
  profile?: LinkProfileName;
}

export interface NetlabSpec {
  homes: HomeSpec[];
  /** Start the PoseParty server in the cloud (default true). */
  server?: boolean;
  /** Extra server environment; STUN_URLS/TURN_URLS/TURN_SECRET are set to the lab's coturn unless given here ("" removes one). */
  serverEnv?: Record<string, string>;
}

export interface Home {
  name: string;
  router: RouterKind;
  /** The namespace the phone runs in. */
  ns: string;
  routerNs: string;
  /** The phone's own (private) address. */
  address: string;
  /** The router's public address, what the cloud sees. */
  publicAddress: string;
  /** A Chromium in this home (own process, own fake camera), closed by lab.close(). */
  launchPlayer(options?: Omit<PlayerOptions, "executablePath" | "baseURL">): Promise<Player>;
  /** Run a command in the home (synchronously); returns stdout, throws on failure. */
  exec(...args: string[]): string;
  /** STUN bindings from inside the home. */
  stunProbe(request: StunProbeRequest): StunProbeResult;
  setProfile(name: LinkProfileName | "none"): Promise<AppliedProfile>;
  /** Takes the home's link away for `seconds` (both directions), then gives it back. */
  dropout(seconds: number): Promise<void>;
  linkDown(): void;
  linkUp(): void;
  /** TCP payload and header bytes the server's port sent into this home since the last reset (counted in the router). */
  bytesFromServer(): number;
  resetBytesFromServer(): void;
}

export interface Netlab {
  cloud: {
    ns: string;
    address: string;
    /** A second address of the cloud, where coturn also answers (two STUN servers for NAT tests). */
    altAddress: string;
    /** The PoseParty server, as phones open it. */
    origin: string;
    turnSecret: string;
    stunUrls: string;
    turnUrls: string;
  };
  homes: Home[];
  home(name: string): Home;
  /** Everything the server and coturn printed so far. */
  serverLog(): string;
  turnLog(): string;
  /** Every namespace this lab made (for checks that nothing is left). */
  namespaces(): string[];
  /** Every process the lab started itself (server, coturn, delay lines); browsers run in the homes. */
  pids(): number[];
  close(): Promise<void>;
}

const PREFIX = "pp-e2e-";
const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const DELAY_LINE = path.join(ROOT, "e2e/support/delayLine.py");
const CLOUD_ADDRESS = "100.64.213.10";
const CLOUD_ALT_ADDRESS = "100.64.213.11";
const INET_PREFIX = 24;
const INET_GATEWAY = "100.64.213.1";
const SERVER_PORT = 3000;
const TURN_PORT = 3478;
/** A small relay range: a few calls at a time. */
const RELAY_PORTS = [49160, 49259] as const;

export function runCommand(...args: string[]): string {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed (${result.status}): ${result.stderr || result.error?.message}`);
  return result.stdout;
}

function inNs(ns: string, ...args: string[]): string {
  return runCommand("ip", "netns", "exec", ns, ...args);
}

/** Whether a process still runs (signal 0 only asks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills what runs in a namespace and deletes it (and with it its ends of the veth pairs). */
export function removeNamespace(name: string): void {
  const pids = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (const pid of pids) spawnSync("kill", ["-KILL", pid]);
  // Deleting a namespace deletes its ends of the veth pairs, and with them the other ends.
  spawnSync("ip", ["netns", "delete", name]);
}

/** Namespaces named `pp-e2e-<role>-<pid>` whose pid is gone (a killed run), with what still runs in them. */
export function removeLeftoverNamespaces(): void {
  for (const line of runCommand("ip", "netns", "list").split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const owner = Number(/^pp-e2e-\w+-(\d+)$/.exec(name)?.[1]);
    if (!owner || (owner !== process.pid && processAlive(owner))) continue;
    removeNamespace(name);
  }
}

/** Why the lab cannot run here, or null. */
export function netlabUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root for network namespaces (ip netns)";
  for (const [command, flag, pkg] of [
    ["ip", "-V", "iproute2"],
    ["tc", "-V", "iproute2"],
    ["iptables", "-V", "iptables"],
    ["turnserver", "--version", "coturn"],
    ["python3", "--version", "python3"],
  ] as const) {
    const result = spawnSync(command, [flag], { encoding: "utf8" });
    if (result.error || (result.status !== 0 && command !== "turnserver")) {
      return `the \`${command}\` command is missing: apt-get install -y ${pkg} (.ci/run installs it)`;
    }
  }
  return null;
}

let netemKnown: boolean | undefined;
/** Whether this kernel has sch_netem (some VM kernels do not). */
export function kernelHasNetem(): boolean {
  if (netemKnown !== undefined) return netemKnown;
  const ns = `${PREFIX}probe-${process.pid}`;
  try {
    runCommand("ip", "netns", "add", ns);
    netemKnown = spawnSync("ip", ["netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]).status === 0;
  } finally {
    removeNamespace(ns);
  }
  return netemKnown;
}

interface Started {
  child: ChildProcess;
  output: string[];
  exited: Promise<void>;
}

function startIn(ns: string, command: string[], env: Record<string, string>, cwd: string): Started {
  // A clean environment: only what is named here (and PATH), not the test runner's.
  const clean = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env };
  const child = spawn("ip", ["netns", "exec", ns, "env", "-i", ...Object.entries(clean).map(([key, value]) => `${key}=${value}`), ...command], {
    cwd,
    // Its own process group: a signal to -pid reaches everything it started.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, output, exited };
}

async function stop(started: Started | undefined, graceMs: number): Promise<void> {
  if (!started || started.child.exitCode !== null || started.child.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-started.child.pid!, name);
    } catch {
      // gone already
    }
  };
  signal("SIGTERM");
  const killed = setTimeout(() => signal("SIGKILL"), graceMs);
  await started.exited;
  clearTimeout(killed);
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number, failed?: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failed?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function startNetlab(spec: NetlabSpec): Promise<Netlab> {
  const unavailable = netlabUnavailable();
  if (unavailable) throw new Error(`network lab: ${unavailable}`);
  if (spec.homes.length < 1 || spec.homes.length > 50) throw new Error("network lab: 1 to 50 homes");
  for (const home of spec.homes) if (!/^[a-z0-9]{1,12}$/.test(home.name)) throw new Error(`network lab: home name ${home.name}: use [a-z0-9]{1,12}`);
  removeLeftoverNamespaces();
  const hasNetem = kernelHasNetem();

  const pid = process.pid;
  const cloudNs = `${PREFIX}cloud-${pid}`;
  const inetNs = `${PREFIX}inet-${pid}`;
  const made: string[] = [];
  const players: Player[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), "poseparty-netlab-"));
  let turn: Started | undefined;
  /** Each home's delay line, while its profile has one. */
  const delayLines = new Map<string, Started>();
  let server: Started | undefined;
  const turnSecret = randomBytes(24).toString("hex");
  const stunUrls = `stun:${CLOUD_ADDRESS}:${TURN_PORT}`;
  const turnUrls = `turn:${CLOUD_ADDRESS}:${TURN_PORT}?transport=udp,turn:${CLOUD_ADDRESS}:${TURN_PORT}?transport=tcp`;
  const origin = `http://${CLOUD_ADDRESS}:${SERVER_PORT}`;

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await Promise.allSettled(players.map((player) => player.close()));
      await Promise.allSettled([stop(server, 15_000), stop(turn, 5_000), ...[...delayLines.values()].map((line) => stop(line, 2_000))]);
      // Whatever still runs in a namespace (a browser that did not close) goes with it.
      for (const ns of [...made].reverse()) removeNamespace(ns);
      rmSync(dir, { recursive: true, force: true });
    })());

  const addNs = (name: string) => {
    runCommand("ip", "netns", "add", name);
    made.push(name);
    inNs(name, "ip", "link", "set", "lo", "up");
  };

  try {
    addNs(inetNs);
    inNs(inetNs, "ip", "link", "add", "br0", "type", "bridge");
    inNs(inetNs, "ip", "link", "set", "br0", "up");
    // The internet's edge: everyone's default route, forwarding nothing (a new namespace does not
    // forward). A packet for a private address (a phone's host candidate) dies here silently, as
    // on the real internet, instead of failing at the sender with "network unreachable".
    inNs(inetNs, "ip", "addr", "add", `${INET_GATEWAY}/${INET_PREFIX}`, "dev", "br0");
    /** A veth pair from `ns`'s `ifname` to a port of the internet's bridge. */
    const plugIntoInternet = (ns: string, ifname: string, port: string) => {
      // Created inside the namespaces: nothing appears in the machine's own network, not even for a moment.
      runCommand("ip", "-n", ns, "link", "add", ifname, "type", "veth", "peer", "name", port, "netns", inetNs);
      inNs(inetNs, "ip", "link", "set", port, "master", "br0");
      inNs(inetNs, "ip", "link", "set", port, "up");
      inNs(ns, "ip", "link", "set", ifname, "up");
    };

    addNs(cloudNs);
    plugIntoInternet(cloudNs, "eth0", "cloud");
    inNs(cloudNs, "ip", "addr", "add", `${CLOUD_ADDRESS}/${INET_PREFIX}`, "dev", "eth0");
    inNs(cloudNs, "ip", "addr", "add", `${CLOUD_ALT_ADDRESS}/${INET_PREFIX}`, "dev", "eth0");
    inNs(cloudNs, "ip", "route", "add", "default", "via", INET_GATEWAY);

    const homes: Home[] = spec.homes.map((homeSpec, index) => {
      const n = index + 1;
      const ns = `${PREFIX}home${n}-${pid}`;
      const routerNs = `${PREFIX}router${n}-${pid}`;
      const address = `10.213.${n}.2`;
      const gateway = `10.213.${n}.1`;
      const publicAddress = `100.64.213.${20 + n}`;
      addNs(routerNs);
      addNs(ns);
      plugIntoInternet(routerNs, "wan0", `router${n}`);
      inNs(routerNs, "ip", "addr", "add", `${publicAddress}/${INET_PREFIX}`, "dev", "wan0");
      inNs(routerNs, "ip", "route", "add", "default", "via", INET_GATEWAY);
      runCommand("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "lan0", "netns", routerNs);
      inNs(ns, "ip", "addr", "add", `${address}/24`, "dev", "eth0");
      inNs(ns, "ip", "link", "set", "eth0", "up");
      inNs(ns, "ip", "route", "add", "default", "via", gateway);
      inNs(routerNs, "ip", "addr", "add", `${gateway}/24`, "dev", "lan0");
      inNs(routerNs, "ip", "link", "set", "lan0", "up");
      inNs(routerNs, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      const ipt = (...args: string[]) => inNs(routerNs, "iptables", "-w", ...args);
      ipt("-t", "nat", "-A", "POSTROUTING", "-o", "wan0", "-j", "MASQUERADE", ...(homeSpec.router === "symmetric" ? ["--random-fully"] : []));
      // Links come and go (dropout) in their own chain, the profile's loss in another.
      ipt("-N", "pp_link");
      ipt("-N", "pp_loss");
      ipt("-A", "FORWARD", "-j", "pp_link");
      ipt("-A", "FORWARD", "-i", "lan0", "-j", "pp_loss");
      // From the internet only what answers the home's own connections, as a router's firewall does.
      ipt("-A", "FORWARD", "-i", "wan0", "-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED", "-j", "DROP");
      // And nothing unsolicited for the router itself. Without this, a peer's first hole-punching
      // packet (it often arrives before the home's own) would be answered "port unreachable" and,
      // worse, leave a conntrack entry that makes the NAT give the home's next packet to that peer
      // another public port: no NAT kind would punch through. A dropped packet's entry is never confirmed.
      ipt("-A", "INPUT", "-i", "wan0", "-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED", "-j", "DROP");
      if (homeSpec.router === "udp-blocked") ipt("-A", "FORWARD", "-i", "lan0", "-p", "udp", "-j", "DROP");
      // What the server sent into the home, counted after a dropout's drop (so only what got through
      // the router, retransmissions included): read by bytesFromServer().
      ipt("-N", "pp_count");
      ipt("-A", "pp_count", "-o", "lan0", "-p", "tcp", "-s", CLOUD_ADDRESS, "--sport", String(SERVER_PORT), "-j", "RETURN");
      ipt("-A", "FORWARD", "-j", "pp_count");
      // Last: a packet the delay line accepts leaves FORWARD (no rule after NFQUEUE would see it).
      ipt("-N", "pp_delay");
      ipt("-A", "FORWARD", "-j", "pp_delay");

      const wrapper = path.join(dir, `chromium-${ns}`);
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${chromiumExecutablePath()} "$@"\n`);
      chmodSync(wrapper, 0o755);

      const setProfile = async (name: LinkProfileName | "none"): Promise<AppliedProfile> => {
        spawnSync("ip", ["netns", "exec", ns, "tc", "qdisc", "del", "dev", "eth0", "root"]);
        spawnSync("ip", ["netns", "exec", routerNs, "tc", "qdisc", "del", "dev", "lan0", "root"]);
        ipt("-F", "pp_loss");
        ipt("-F", "pp_delay");
        await stop(delayLines.get(ns), 2_000);
        delayLines.delete(ns);
        if (name === "none") return { name, delay: false, loss: false, rate: false };
        const profile: LinkProfile = LINK_PROFILES[name];
        const half = (ms: number) => `${Math.max(0, ms / 2)}ms`;
        if (hasNetem) {
          // Up: half the delay, the loss and the rate on the phone's interface. Down: the other half of the delay on the router's.
          inNs(
            ns,
            "tc",
            "qdisc",
            "add",
            "dev",
            "eth0",
            "root",
            "netem",
            "delay",
            half(profile.rttMs),
            half(profile.jitterMs),
            "loss",
            `${profile.lossPercent}%`,
            "rate",
            `${profile.upMbit}mbit`,
          );
          const downRate: string[] = profile.downMbit === undefined ? [] : ["rate", `${profile.downMbit}mbit`];
          inNs(routerNs, "tc", "qdisc", "add", "dev", "lan0", "root", "netem", "delay", half(profile.rttMs), half(profile.jitterMs), ...downRate);
          return { name, delay: true, loss: true, rate: true };
        }
        // No netem: the rate through a token bucket, the loss through a random drop in the router,
        // and the delay through the lab's delay line (half the round trip each way, in order).
        inNs(ns, "tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", `${profile.upMbit}mbit`, "burst", "32kbit", "latency", "400ms");
        if (profile.downMbit !== undefined) {
          inNs(routerNs, "tc", "qdisc", "add", "dev", "lan0", "root", "tbf", "rate", `${profile.downMbit}mbit`, "burst", "32kbit", "latency", "400ms");
        }
        ipt("-A", "pp_loss", "-m", "statistic", "--mode", "random", "--probability", String(profile.lossPercent / 100), "-j", "DROP");
        const oneWay = [profile.rttMs / 2, profile.jitterMs / 2];
        const line = startIn(routerNs, ["python3", "-u", DELAY_LINE, ...oneWay, ...oneWay, n].map(String), {}, dir);
        delayLines.set(ns, line);
        const exited = () => (line.child.exitCode !== null ? `delay line exited: ${line.output.join("").slice(-2000)}` : null);
        await waitFor(`${homeSpec.name}'s delay line`, () => line.output.join("").includes("delay line ready"), 10_000, exited);
        ipt("-A", "pp_delay", "-i", "lan0", "-j", "NFQUEUE", "--queue-num", "0");
        ipt("-A", "pp_delay", "-o", "lan0", "-j", "NFQUEUE", "--queue-num", "1");
        return { name, delay: true, loss: true, rate: true };
      };
      const linkDown = () => {
        ipt("-F", "pp_link");
        ipt("-A", "pp_link", "-i", "lan0", "-j", "DROP");
        ipt("-A", "pp_link", "-o", "lan0", "-j", "DROP");
      };
      const linkUp = () => void ipt("-F", "pp_link");
      const bytesFromServer = (): number => {
        // `-x`: exact numbers; the one rule's line is "pkts bytes target ...".
        const line = inNs(routerNs, "iptables", "-w", "-L", "pp_count", "-v", "-x", "-n").split("\n")[2] ?? "";
        const bytes = Number(line.trim().split(/\s+/)[1]);
        if (!Number.isSafeInteger(bytes)) throw new Error(`network lab: cannot read the byte counter: ${line}`);
        return bytes;
      };
      const home: Home = {
        name: homeSpec.name,
        router: homeSpec.router,
        ns,
        routerNs,
        address,
        publicAddress,
        async launchPlayer(options = {}) {
          const player = await launchPlayer({
            ...options,
            executablePath: wrapper,
            baseURL: origin,
            // A plain-http origin that is not localhost: a deployed site has TLS (Caddy), the lab does not.
            extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${origin}`, ...(options.extraArgs ?? [])],
          });
          players.push(player);
          return player;
        },
        exec: (...args) => inNs(ns, ...args),
        stunProbe(request) {
          const out = inNs(ns, TSX, path.join(ROOT, "e2e/support/stunProbe.ts"), JSON.stringify(request));
          return JSON.parse(out) as StunProbeResult;
        },
        setProfile,
        linkDown,
        linkUp,
        bytesFromServer,
        resetBytesFromServer: () => void ipt("-Z", "pp_count"),
        async dropout(seconds) {
          linkDown();
          try {
            await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
          } finally {
            linkUp();
          }
        },
      };
      return home;
    });
    for (const [index, homeSpec] of spec.homes.entries()) if (homeSpec.profile) await homes[index]!.setProfile(homeSpec.profile);

    // coturn as docs/hosting.md runs it: shared-secret credentials (the server mints them from the same secret).
    mkdirSync(path.join(dir, "turn"));
    turn = startIn(
      cloudNs,
      [
        "turnserver",
        // The host's own configuration (docs/hosting.md), then the lab's addresses and ports over it.
        "-c",
        path.join(ROOT, "deploy/turnserver.conf"),
        `--listening-ip=${CLOUD_ADDRESS}`,
        `--listening-ip=${CLOUD_ALT_ADDRESS}`,
        `--relay-ip=${CLOUD_ADDRESS}`,
        `--listening-port=${TURN_PORT}`,
        `--min-port=${RELAY_PORTS[0]}`,
        `--max-port=${RELAY_PORTS[1]}`,
        "--use-auth-secret",
        `--static-auth-secret=${turnSecret}`,
        "--realm=netlab.poseparty.test",
        "--fingerprint",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-multicast-peers",
        `--db=${path.join(dir, "turn/turndb")}`,
        `--pidfile=${path.join(dir, "turn/turnserver.pid")}`,
        // A file: coturn buffers what it prints to a pipe.
        `--log-file=${path.join(dir, "turn/turn.log")}`,
        "--simple-log",
        "--verbose",
      ],
      {},
      dir,
    );
    const cloudProbe = (): boolean => {
      const result = spawnSync(
        "ip",
        [
          "netns",
          "exec",
          cloudNs,
          TSX,
          path.join(ROOT, "e2e/support/stunProbe.ts"),
          JSON.stringify({ udp: [{ host: CLOUD_ADDRESS, port: TURN_PORT }], timeoutMs: 500 }),
        ],
        { encoding: "utf8" },
      );
      return result.status === 0 && (JSON.parse(result.stdout) as StunProbeResult).udp[0]?.mapped !== null;
    };
    const turnExited = () => (turn!.child.exitCode !== null ? `coturn exited: ${turn!.output.join("").slice(-2000)}` : null);
    await waitFor("coturn", cloudProbe, 30_000, turnExited);

    if (spec.server !== false) {
      const dataDir = path.join(dir, "data");
      mkdirSync(dataDir);
      const env: Record<string, string> = {
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        PORT: String(SERVER_PORT),
        HOST: "0.0.0.0",
        DATA_DIR: dataDir,
        LOG_LEVEL: "warn",
        ALLOW_TEST_PLAYLISTS: "true",
        JOIN_RATE_PER_MINUTE: "1000",
        STUN_URLS: stunUrls,
        TURN_URLS: turnUrls,
        TURN_SECRET: turnSecret,
        ...spec.serverEnv,
      };
      for (const [key, value] of Object.entries(env)) if (value === "") delete env[key];
      server = startIn(cloudNs, [process.execPath, "--enable-source-maps", "dist/server/main.mjs"], { HOME: dir, ...env }, ROOT);
      const healthy = () =>
        spawnSync(
          "ip",
          [
            "netns",
            "exec",
            cloudNs,
            process.execPath,
            "-e",
            `fetch(${JSON.stringify(`${origin}/api/health`)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
          ],
          { timeout: 10_000 },
        ).status === 0;
      const serverExited = () => (server!.child.exitCode !== null ? `server exited: ${server!.output.join("").slice(-2000)}` : null);
      await waitFor("PoseParty server (is the production build there? npm run build)", healthy, 120_000, serverExited);
    }

    return {
      cloud: { ns: cloudNs, address: CLOUD_ADDRESS, altAddress: CLOUD_ALT_ADDRESS, origin, turnSecret, stunUrls, turnUrls },
      homes,
      home(name) {
        const home = homes.find((candidate) => candidate.name === name);
        if (!home) throw new Error(`network lab: no home ${name}`);
        return home;
      },
      serverLog: () => server?.output.join("") ?? "",
      turnLog: () => {
        try {
          return readFileSync(path.join(dir, "turn/turn.log"), "utf8");
        } catch {
          return turn?.output.join("") ?? "";
        }
      },
      namespaces: () => [...made],
      pids: () => [server?.child.pid, turn?.child.pid, ...[...delayLines.values()].map((line) => line.child.pid)].filter((p): p is number => p !== undefined),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
