/**
 * The network lab itself (e2e/support/netlab.ts): each router kind does what its name says,
 * observed from inside a home with STUN bindings (e2e/support/stunProbe.ts) against the lab's
 * coturn on two cloud addresses; link profiles and dropouts apply and go away; and closing the lab
 * leaves nothing behind: no namespace, no process, and the machine's own network exactly as it was.
 *
 * Needs root (ip netns). Skipped with a message outside CI when not root; under CI it must run.
 */
import { spawnSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { kernelHasNetem, processAlive, runCommand, startNetlab, type Netlab } from "./support/netlab";
import type { StunTarget } from "./support/stunProbe";

const inCi = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;

/** The machine's own network: what the lab must never change. */
function rootNetwork(): Record<string, string> {
  const state: Record<string, string> = {
    addresses: runCommand("ip", "addr"),
    routes: runCommand("ip", "route"),
    iptables: runCommand("iptables", "-w", "-S"),
    natRules: runCommand("iptables", "-w", "-t", "nat", "-S"),
  };
  const nft = spawnSync("nft", ["list", "ruleset"], { encoding: "utf8" });
  if (nft.status === 0) state.nftables = nft.stdout;
  return state;
}

test.describe("the network lab: NAT routers, link profiles, nothing left behind", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("home, symmetric and udp-blocked routers map as their names say; profiles and dropouts apply; close leaves nothing", async ({}, testInfo) => {
    test.setTimeout(120_000);
    if (!isRoot) throw new Error("CI=true but not root: this test needs root for `ip netns` (.ci/run runs as root).");
    const before = rootNetwork();
    let lab: Netlab | undefined;
    try {
      lab = await startNetlab({
        homes: [
          { name: "home", router: "home" },
          { name: "carrier", router: "symmetric" },
          { name: "hotel", router: "udp-blocked" },
        ],
        server: false,
      });
      const primary: StunTarget = { host: lab.cloud.address, port: 3478 };
      const other: StunTarget = { host: lab.cloud.altAddress, port: 3478 };
      const probe = { udp: [primary, other], tcp: [primary], timeoutMs: 2_000 };
      const results: Record<string, unknown> = {};

      // Home router: one socket, two STUN servers: the same public address and port for both (endpoint-independent mapping).
      const home = lab.home("home");
      const atHome = home.stunProbe(probe);
      results.home = atHome;
      const [homeA, homeB] = atHome.udp.map((answer) => answer.mapped);
      expect(homeA, "home: first STUN server answers").toMatchObject({ address: home.publicAddress });
      expect(homeB, "home: second STUN server answers").toMatchObject({ address: home.publicAddress });
      expect(homeB!.port, "home: same public port towards both servers").toBe(homeA!.port);

      // Carrier-grade NAT: a new public port for each destination (address-and-port-dependent mapping).
      const carrier = lab.home("carrier");
      const atCarrier = carrier.stunProbe(probe);
      results.carrier = atCarrier;
      const [carrierA, carrierB] = atCarrier.udp.map((answer) => answer.mapped);
      expect(carrierA, "symmetric: first STUN server answers").toMatchObject({ address: carrier.publicAddress });
      expect(carrierB, "symmetric: second STUN server answers").toMatchObject({ address: carrier.publicAddress });
      expect(carrierB!.port, "symmetric: another public port towards the second server").not.toBe(carrierA!.port);

      // Hotel Wi-Fi: no UDP answer at all, but TCP reaches the same server.
      const hotel = lab.home("hotel");
      const atHotel = hotel.stunProbe(probe);
      results.hotel = atHotel;
      expect(
        atHotel.udp.map((answer) => answer.mapped),
        "udp-blocked: no UDP answer",
      ).toEqual([null, null]);
      expect(atHotel.tcp[0]?.mapped, "udp-blocked: STUN over TCP answers").toMatchObject({ address: hotel.publicAddress });

      // A link profile: delay, jitter, loss and rate, from netem or (no sch_netem in this kernel) tbf,
      // a random drop in the router and the lab's delay line; the link still works.
      const applied = await home.setProfile("4g");
      results.profile4g = applied;
      expect(applied).toMatchObject({ delay: true, loss: true, rate: true });
      const qdisc = home.exec("tc", "qdisc", "show", "dev", "eth0");
      if (kernelHasNetem()) {
        expect(qdisc).toMatch(/netem .*delay 30ms/);
      } else {
        testInfo.annotations.push({
          type: "kernel",
          description: "no sch_netem: tbf for the rate, an iptables drop for the loss, e2e/support/delayLine.py for delay and jitter",
        });
        expect(qdisc).toMatch(/tbf .*rate 4Mbit/);
        expect(runCommand("ip", "netns", "exec", home.routerNs, "iptables", "-w", "-S", "pp_loss")).toMatch(
          /statistic --mode random --probability 0\.0(1|099)/,
        );
      }
      // About 60 ms +- 20 added to the round trip: at least 40 ms on each probe (a lower bound only:
      // a busy machine adds time, never removes it).
      const rtts = [0, 1, 2].map(() => home.stunProbe({ tcp: [primary], timeoutMs: 5_000 }).tcp[0]?.rttMs ?? 0);
      results.rtt4g = rtts;
      expect(Math.min(...rtts), "4g: the round trip carries the profile's delay").toBeGreaterThanOrEqual(40);
      expect(home.stunProbe({ tcp: [primary] }).tcp[0]?.mapped, "4g: the link still works").toMatchObject({ address: home.publicAddress });
      await home.setProfile("none");
      expect(home.exec("tc", "qdisc", "show", "dev", "eth0")).not.toMatch(/netem|tbf/);
      const rttsAfter = [0, 1, 2].map(() => home.stunProbe({ tcp: [primary], timeoutMs: 5_000 }).tcp[0]?.rttMs ?? 0);
      results.rttNone = rttsAfter;

      // A dropout takes the link away both ways and gives it back.
      const dropout = home.dropout(3);
      const during = home.stunProbe({ udp: [primary], tcp: [primary], timeoutMs: 1_000 });
      results.duringDropout = during;
      expect(during.udp[0]?.mapped ?? null, "dropout: no UDP").toBeNull();
      expect(during.tcp[0]?.mapped ?? null, "dropout: no TCP").toBeNull();
      await dropout;
      expect(home.stunProbe({ udp: [primary] }).udp[0]?.mapped, "after the dropout: back").toMatchObject({ address: home.publicAddress });

      await testInfo.attach("stun-probes.json", { body: JSON.stringify(results, null, 2), contentType: "application/json" });
    } finally {
      await lab?.close();
    }

    // Nothing left: no namespace of this run, no process the lab started, the machine's network unchanged.
    const namespaces = runCommand("ip", "netns", "list");
    for (const name of lab?.namespaces() ?? []) expect(namespaces, `namespace ${name} is gone`).not.toContain(name);
    expect(namespaces).not.toContain(`-${process.pid}`);
    for (const pid of lab?.pids() ?? []) expect(processAlive(pid), `process ${pid} is gone`).toBe(false);
    expect(rootNetwork()).toEqual(before);
  });
});
