/**
 * HTTP long-polling, Socket.IO's fallback when WebSocket is blocked: a polling-only client stays
 * connected and gets answers; a raw handshake, POST "40", GET, GET (a client that stops answering)
 * leaves no session behind once its ping deadline has passed; no uncaught exception and no
 * unhandled rejection happens meanwhile (the server counts both in /metrics).
 *
 * Before the fix the app's HTTP handler also answered every /socket.io/ request (its 404) while
 * Engine.IO held it, so Engine.IO later wrote to a finished response: ERR_HTTP_HEADERS_SENT,
 * polling clients dropped at once and sessions that never expired.
 */
import { describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { expectOk, send, useTestServer, type TestClient, type TestServer } from "./support";

// Short, so the test waits seconds, but long enough that a loaded machine finishes the sequence in time.
const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 1000;

/** The value of one sample in Prometheus text format. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(harness: TestServer): Promise<string> {
  return (await fetch(`${harness.url}/metrics`)).text();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectNoProcessErrors(harness: TestServer): Promise<void> {
  const text = await scrape(harness);
  expect(sample(text, "poseparty_uncaught_exceptions_total")).toBe(0);
  expect(sample(text, "poseparty_unhandled_rejections_total")).toBe(0);
}

describe("a polling-only client", () => {
  // Two-second pings: ten of them go over polling during the 20 s.
  const server = useTestServer({ PING_INTERVAL_MS: "2000", PING_TIMEOUT_MS: "5000" });

  it("stays connected for 20 s and gets every answer", async () => {
    const client = connect(server().url, { transports: ["polling"], forceNew: true, reconnection: false }) as TestClient;
    server().clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("connect_error", reject);
    });
    const drops: string[] = [];
    client.on("disconnect", (reason) => drops.push(reason));

    const created = expectOk(await send(client, "room:create", { nickname: "Poller" }));
    expect(created.room.members).toHaveLength(1);
    const began = Date.now();
    let answered = 0;
    while (Date.now() - began < 20_000) {
      const answer = await send(client, "clock:ping", {});
      expect(answer).toMatchObject({ ok: true });
      answered++;
      expect((client as unknown as Socket).io.engine.transport.name).toBe("polling");
      await sleep(1000);
    }
    expect(answered).toBeGreaterThanOrEqual(15);
    expect(drops).toEqual([]);
    expect(client.connected).toBe(true);
    const text = await scrape(server());
    expect(sample(text, "poseparty_connected_sockets")).toBe(1);
    await expectNoProcessErrors(server());
  }, 40_000);

  it("upgrades from polling to WebSocket when both are allowed", async () => {
    const client = connect(server().url, { transports: ["polling", "websocket"], forceNew: true, reconnection: false });
    server().clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("connect_error", reject);
    });
    await new Promise<void>((resolve) => {
      if (client.io.engine.transport.name === "websocket") resolve();
      else client.io.engine.once("upgrade", () => resolve());
    });
    expect(await send(client as TestClient, "clock:ping", {})).toMatchObject({ ok: true });
    await expectNoProcessErrors(server());
  });
});

describe("raw long-polling sessions that stop answering", () => {
  const server = useTestServer({ PING_INTERVAL_MS: String(PING_INTERVAL_MS), PING_TIMEOUT_MS: String(PING_TIMEOUT_MS) });

  /** Handshake, POST "40" (connect to the main namespace), GET, GET; then silence. */
  async function abandonedSession(): Promise<string[]> {
    const base = `${server().url}/socket.io/?EIO=4&transport=polling`;
    const handshake = await fetch(base);
    const opened = await handshake.text();
    expect(handshake.status, opened).toBe(200);
    expect(opened.startsWith("0{")).toBe(true);
    const { sid } = JSON.parse(opened.slice(1)) as { sid: string };
    const session = `${base}&sid=${encodeURIComponent(sid)}`;
    const post = await fetch(session, { method: "POST", body: "40", headers: { "content-type": "text/plain;charset=UTF-8" } });
    expect(await post.text()).toBe("ok");
    const statuses: string[] = [];
    for (let get = 0; get < 2; get++) {
      const response = await fetch(session);
      statuses.push(`${response.status} ${(await response.text()).slice(0, 2)}`);
    }
    return statuses;
  }

  it("leave no socket behind after the ping deadline, and throw nothing", async () => {
    const sessions = await Promise.all(Array.from({ length: 20 }, () => abandonedSession()));
    // First GET: the namespace's CONNECT ("40{sid}"); second: held until the next ping ("2").
    for (const statuses of sessions) expect(statuses).toEqual(["200 40", "200 2"]);

    // Never answering the ping, every session is closed within interval + timeout.
    await sleep(2 * (PING_INTERVAL_MS + PING_TIMEOUT_MS) + 500);
    const text = await scrape(server());
    expect(sample(text, "poseparty_connected_sockets")).toBe(0);
    expect(server().server.realtime.io.engine.clientsCount).toBe(0);
    await expectNoProcessErrors(server());
  });
});
