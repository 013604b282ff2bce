/**
 * The call across real networks (issue 21): phones in homes behind NAT routers, the PoseParty
 * server and a coturn relay in a "cloud", all in network namespaces (e2e/support/netlab.ts). The
 * server runs as deployed (production build, STUN_URLS, TURN_URLS and TURN_SECRET pointing at the
 * coturn, which checks the credentials the server minted with `use-auth-secret`).
 *
 * - Two `home` routers (endpoint-independent mapping): the phones reach each other directly, through
 *   the addresses STUN told them; no relay.
 * - Two `symmetric` routers and no relay configured (STUN only): each tile says the networks need
 *   a relay, the host's log names the missing setting, and the game is not held up.
 *
 * Not here yet (issue 21): both phones behind `symmetric` routers, and a phone on `udp-blocked`
 * Wi-Fi. In this lab those calls do go through coturn, but their video stalls: the connection
 * flaps between "connected" and "disconnected", the mesh restarts ICE every few seconds and every
 * restart closes the relay allocations (coturn's log shows a session closed each ~3 s). Until that
 * is understood, a test of them would be flaky.
 *
 * Each test records which candidate pair every connection selected (RTCPeerConnection.getStats;
 * the page's peer connections are collected by an init script) and attaches it to the report.
 * Needs root (ip netns). Skipped with a message outside CI when not root; under CI it must run.
 */
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { startNetlab, type Home, type Netlab, type NetlabSpec } from "./support/netlab";
import type { Player } from "./support/players";
import { callFrames, createRoom, joinByLink } from "./support/room";

const inCi = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;
/** Few frames: two browsers encode and decode each other's video on a shared 2-core machine. */
const CAMERA_FPS = 10;

interface CandidateView {
  type: string;
  protocol: string;
  relayProtocol?: string;
  address?: string;
}
interface SelectedPair {
  local: CandidateView;
  remote: CandidateView;
}

/** Keeps every RTCPeerConnection the page makes, so the test can ask each for its stats. */
const RECORD_PEER_CONNECTIONS = () => {
  const Native = window.RTCPeerConnection;
  const made: RTCPeerConnection[] = [];
  (window as unknown as { __netlabPeerConnections: RTCPeerConnection[] }).__netlabPeerConnections = made;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      made.push(this);
    }
  };
};

/** The selected candidate pair of each connected peer connection. */
function selectedPairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(async () => {
    const made = (window as unknown as { __netlabPeerConnections?: RTCPeerConnection[] }).__netlabPeerConnections ?? [];
    const pairs: SelectedPair[] = [];
    for (const pc of made) {
      if (pc.connectionState !== "connected") continue;
      const stats = await pc.getStats();
      let pair: RTCIceCandidatePairStats | undefined;
      stats.forEach((report: { type: string; selectedCandidatePairId?: string }) => {
        if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId) as RTCIceCandidatePairStats;
      });
      if (!pair) continue;
      const view = (id: string): CandidateView => {
        const candidate = stats.get(id) as { candidateType: string; protocol: string; relayProtocol?: string; address?: string };
        return { type: candidate.candidateType, protocol: candidate.protocol, relayProtocol: candidate.relayProtocol, address: candidate.address };
      };
      pairs.push({ local: view(pair.localCandidateId), remote: view(pair.remoteCandidateId) });
    }
    return pairs;
  });
}

/** The friend's video keeps producing frames (a frozen or black tile does not). */
async function expectRemoteVideoPlaying(page: Page, who: string): Promise<void> {
  await expect(page.getByTestId("remote-tile")).toHaveCount(1);
  let first = 0;
  await expect
    .poll(
      async () => {
        first = (await callFrames(page)).remote[0] ?? 0;
        return first;
      },
      { message: `${who}: the friend's video has frames`, timeout: 60_000 },
    )
    .toBeGreaterThan(0);
  await expect
    .poll(async () => ((await callFrames(page)).remote[0] ?? 0) - first, { message: `${who}: the friend's frames keep coming`, timeout: 30_000 })
    .toBeGreaterThanOrEqual(3);
}

/** Polls until every connected peer connection of the page selected a pair that `accept`s; returns them. */
async function waitForPairs(page: Page, who: string, accept: (pair: SelectedPair) => boolean): Promise<SelectedPair[]> {
  let pairs: SelectedPair[] = [];
  await expect
    .poll(
      async () => {
        pairs = await selectedPairs(page);
        return pairs.length > 0 && pairs.every(accept) ? "ok" : JSON.stringify(pairs);
      },
      { message: `${who}: selected candidate pairs`, timeout: 30_000 },
    )
    .toBe("ok");
  return pairs;
}

const describePair = (pair: SelectedPair) =>
  `${pair.local.type}${pair.local.relayProtocol ? `(${pair.local.relayProtocol})` : ""}/${pair.local.protocol} -> ${pair.remote.type}/${pair.remote.protocol}`;
const isRelay = (candidate: CandidateView) => candidate.type === "relay";

/**
 * One lab for the enclosing describe: started before its tests; after each test its browsers are
 * closed (two at a time on this machine), with their logs and the server's and coturn's attached
 * when it failed; closed after the last test.
 */
function useLab(spec: NetlabSpec): { lab: () => Netlab; players: Player[] } {
  let lab: Netlab | undefined;
  const players: Player[] = [];
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    if (!isRoot) throw new Error("CI=true but not root: this test needs root for `ip netns` (.ci/run runs as root).");
    lab = await startNetlab(spec);
  });
  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this hook uses none
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const player of players) await testInfo.attach(`${player.name}-console.txt`, { body: player.logs.join("\n"), contentType: "text/plain" });
      await testInfo.attach("server.log", { body: lab?.serverLog() ?? "", contentType: "text/plain" });
      await testInfo.attach("coturn.log", { body: lab?.turnLog() ?? "", contentType: "text/plain" });
    }
    await Promise.allSettled(players.map((player) => player.close()));
    players.length = 0;
  });
  test.afterAll(async () => {
    await lab?.close();
  });
  return {
    lab: () => {
      if (!lab) throw new Error("the network lab did not start");
      return lab;
    },
    players,
  };
}

test.describe("the call across a small internet (network namespaces, NAT routers, coturn)", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");

  const { lab, players } = useLab({
    homes: [
      { name: "mina", router: "home" },
      { name: "jun", router: "home" },
    ],
  });

  /** `hostHome` creates a room, `guestHome` joins by the link; both with cameras. */
  async function call(hostHome: Home, guestHome: Home): Promise<{ host: Player; guest: Player }> {
    const host = await hostHome.launchPlayer({ name: hostHome.name, video: "messi5", cameraFps: CAMERA_FPS });
    players.push(host);
    const guest = await guestHome.launchPlayer({ name: guestHome.name, video: "astronaut", cameraFps: CAMERA_FPS });
    players.push(guest);
    for (const player of [host, guest]) await player.context.addInitScript(RECORD_PEER_CONNECTIONS);
    const { link } = await createRoom(host.page, hostHome.name);
    expect(link.startsWith(lab().cloud.origin)).toBe(true);
    await joinByLink(guest.page, link, guestHome.name);
    // Socket.IO across the routers: each sees the other in the room.
    await expect(host.page.getByTestId("member-list")).toContainText(guestHome.name);
    await expect(guest.page.getByTestId("member-list")).toContainText(hostHome.name);
    return { host, guest };
  }

  async function record(testInfo: TestInfo, pairs: Record<string, SelectedPair[]>): Promise<void> {
    await testInfo.attach("selected-candidate-pairs.json", { body: JSON.stringify(pairs, null, 2), contentType: "application/json" });
    for (const [who, list] of Object.entries(pairs))
      testInfo.annotations.push({ type: "selected pair", description: `${who}: ${list.map(describePair).join(", ")}` });
  }

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("two home routers: the phones reach each other directly (STUN), video both ways", async ({}, testInfo) => {
    test.setTimeout(180_000);
    const { host, guest } = await call(lab().home("mina"), lab().home("jun"));
    await expectRemoteVideoPlaying(host.page, "mina");
    await expectRemoteVideoPlaying(guest.page, "jun");
    // Endpoint-independent NATs let the connectivity checks through: a direct pair, no relay.
    const direct = (pair: SelectedPair) => !isRelay(pair.local) && !isRelay(pair.remote);
    await record(testInfo, { mina: await waitForPairs(host.page, "mina", direct), jun: await waitForPairs(guest.page, "jun", direct) });
  });
});

test.describe("the call across strict NATs with no relay configured", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");

  // STUN only, as a host who skipped the relay: coturn still answers STUN, nothing mints TURN credentials.
  const { lab, players } = useLab({
    homes: [
      { name: "mina", router: "symmetric" },
      { name: "jun", router: "symmetric" },
    ],
    serverEnv: { TURN_URLS: "", TURN_SECRET: "" },
  });

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("each tile says the network needs a relay (English and Korean), the host's log names the setting, the game still starts", async ({}) => {
    test.setTimeout(180_000);
    const mina = await lab().home("mina").launchPlayer({ name: "mina", video: "messi5", cameraFps: CAMERA_FPS });
    players.push(mina);
    const jun = await lab()
      .home("jun")
      .launchPlayer({ name: "jun", video: "astronaut", cameraFps: CAMERA_FPS, contextOptions: { locale: "ko-KR" } });
    players.push(jun);
    const { link } = await createRoom(mina.page, "Mina");
    await joinByLink(jun.page, link, "Jun");
    // Socket.IO crosses the NATs: the room works for both.
    await expect(mina.page.getByTestId("member-list")).toContainText("Jun");
    await expect(jun.page.getByTestId("member-list")).toContainText("Mina");

    // Address-and-port-dependent mappings on both sides: no direct pair can work, and there is no relay.
    for (const [player, text] of [
      [mina, "your networks need a relay server"],
      [jun, "중계 서버(TURN)가 필요합니다"],
    ] as const) {
      const tile = player.page.getByTestId("remote-tile");
      await expect(tile, player.name).toHaveAttribute("data-needs-relay", "true", { timeout: 60_000 });
      await expect(tile).toHaveAttribute("data-status", "failed");
      await expect(tile).toContainText(text);
    }
    // The host's log says which setting is missing.
    expect(lab().serverLog()).toContain("the call has no relay: set TURN_URLS and TURN_SECRET");
    // The call does not hold the game up: the host starts it, and both are in the lobby.
    await mina.page.getByTestId("start-game").click();
    for (const player of [mina, jun]) await expect(player.page.getByTestId("room-phase")).toHaveAttribute("data-phase", "preloading");
  });
});
