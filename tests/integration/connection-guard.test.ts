/**
 * The handshake boundary: the client address behind a proxy (forged X-Forwarded-For hops do not
 * escape the join limit), the page's Origin (foreign pages refused, the app's own and
 * ALLOWED_ORIGINS accepted, no Origin accepted) and the cap on open sockets per address, each
 * refusal counted in /metrics.
 */
import { get } from "node:http";
import { describe, expect, it } from "vitest";
import { io as connect } from "socket.io-client";
import { send, useTestServer, type TestClient, type TestServer } from "./support";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metric(harness: TestServer, series: string): Promise<number | undefined> {
  return sample(await (await fetch(`${harness.url}/metrics`)).text(), series);
}

/** A raw long-polling handshake with exactly these headers (fetch would not let us set Origin or Host freely). */
function pollingHandshake(harness: TestServer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(`${harness.url}/socket.io/?EIO=4&transport=polling`, { headers }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
  });
}

/** A WebSocket-only socket.io-client with these headers; resolves with it or with the refusal. */
function tryConnect(harness: TestServer, headers: Record<string, string> = {}): Promise<{ client: TestClient } | { error: Error }> {
  const client = connect(harness.url, { transports: ["websocket"], forceNew: true, reconnection: false, extraHeaders: headers }) as TestClient;
  harness.clients.push(client);
  return new Promise((resolve) => {
    client.once("connect", () => resolve({ client }));
    client.once("connect_error", (error) => resolve({ error }));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("client address behind a trusted proxy", () => {
  // One proxy (TRUST_PROXY=true) and the default 30 joins a minute per address.
  const server = useTestServer({ TRUST_PROXY: "true" });

  it("is the hop the proxy appended: 60 peeks with forged first hops are limited at 30", async () => {
    const answers: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      // The client wrote the first entry itself; the proxy appended the address it saw.
      const outcome = await tryConnect(server(), { "x-forwarded-for": `10.66.${attempt}.1, 203.0.113.5` });
      if ("error" in outcome) throw outcome.error;
      const answer = await send(outcome.client, "room:peek", { roomCode: "ZZZZ222" });
      answers.push(answer.ok ? "ok" : answer.code);
      outcome.client.disconnect();
    }
    expect(answers.filter((code) => code === "room_not_found")).toHaveLength(30);
    expect(answers.slice(30)).toEqual(Array(30).fill("too_many_joins"));

    // Another client of the same proxy has its own budget.
    const other = await tryConnect(server(), { "x-forwarded-for": "203.0.113.6" });
    if ("error" in other) throw other.error;
    expect(await send(other.client, "room:peek", { roomCode: "ZZZZ222" })).toMatchObject({ code: "room_not_found" });
  });
});

describe("client address with a hop count", () => {
  // Two proxies in a row (say a CDN, then nginx): the client is the second entry from the right.
  const server = useTestServer({ TRUST_PROXY: "2", JOIN_RATE_PER_MINUTE: "3" });

  it("takes the N-th entry from the right, whatever the client put before it", async () => {
    const codes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await tryConnect(server(), { "x-forwarded-for": `198.18.0.${attempt}, 198.51.100.20, 192.0.2.1` });
      if ("error" in outcome) throw outcome.error;
      const answer = await send(outcome.client, "room:peek", { roomCode: "ZZZZ222" });
      codes.push(answer.ok ? "ok" : answer.code);
      outcome.client.disconnect();
    }
    expect(codes).toEqual(["room_not_found", "room_not_found", "room_not_found", "too_many_joins", "too_many_joins"]);
  });
});

describe("the page's Origin", () => {
  const lanOrigin = "https://192.168.1.20:3443";
  const server = useTestServer({ ALLOWED_ORIGINS: `${lanOrigin}, https://party.example` });

  it("refuses a foreign page's WebSocket and polling handshakes with a clear reason, and counts them", async () => {
    const viaWebSocket = await tryConnect(server(), { origin: "https://evil.example" });
    expect("error" in viaWebSocket).toBe(true);
    const polling = await pollingHandshake(server(), { origin: "https://evil.example" });
    expect(polling.status).toBe(403);
    expect(JSON.parse(polling.body) as unknown).toMatchObject({ message: expect.stringContaining("origin_not_allowed") as unknown });
    expect((JSON.parse(polling.body) as { message: string }).message).toContain("https://evil.example");
    // A look-alike port, an opaque origin and garbage are foreign too.
    for (const origin of [`${new URL(server().url).protocol}//${new URL(server().url).hostname}:1`, "null", "not a url"]) {
      expect((await pollingHandshake(server(), { origin })).status, origin).toBe(403);
    }
    expect(await metric(server(), 'poseparty_connections_refused_total{reason="origin"}')).toBe(5);
    expect(server().server.realtime.io.engine.clientsCount).toBe(0);
  });

  it("accepts the app's own origin, ALLOWED_ORIGINS and clients that send no Origin", async () => {
    for (const origin of [new URL(server().url).origin, lanOrigin, "https://party.example"]) {
      const outcome = await tryConnect(server(), { origin });
      expect("client" in outcome, origin).toBe(true);
      expect((await pollingHandshake(server(), { origin })).status, origin).toBe(200);
    }
    expect("client" in (await tryConnect(server()))).toBe(true);
    expect((await pollingHandshake(server(), {})).status).toBe(200);
  });

  it("ignores X-Forwarded-Host and -Proto without TRUST_PROXY", async () => {
    const forwarded = { "x-forwarded-host": "party.example.org", "x-forwarded-proto": "https" };
    expect((await pollingHandshake(server(), { origin: "https://party.example.org", ...forwarded })).status).toBe(403);
  });
});

describe("the page's Origin behind a trusted proxy", () => {
  const server = useTestServer({ TRUST_PROXY: "loopback" });

  it("is compared with the forwarded scheme and host", async () => {
    const forwarded = { "x-forwarded-host": "party.example.org", "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.30" };
    expect((await pollingHandshake(server(), { origin: "https://party.example.org", ...forwarded })).status).toBe(200);
    expect((await pollingHandshake(server(), { origin: "http://party.example.org", ...forwarded })).status).toBe(403);
    expect((await pollingHandshake(server(), { origin: "https://evil.example", ...forwarded })).status).toBe(403);
    const outcome = await tryConnect(server(), { origin: "https://party.example.org", ...forwarded });
    expect("client" in outcome).toBe(true);
  });
});

describe("open sockets per client address", () => {
  const server = useTestServer({ TRUST_PROXY: "true" });

  it("are capped at MAX_SOCKETS_PER_ADDRESS (64 by default); refusals are counted and the others carry on", async () => {
    const crowd = { "x-forwarded-for": "203.0.113.77" };
    const outcomes = [];
    for (let index = 0; index < 70; index++) outcomes.push(await tryConnect(server(), crowd));
    const connected = outcomes.flatMap((outcome) => ("client" in outcome ? [outcome.client] : []));
    expect(connected).toHaveLength(64);
    expect(outcomes.slice(64).every((outcome) => "error" in outcome)).toBe(true);
    const refusedPoll = await pollingHandshake(server(), crowd);
    expect(refusedPoll.status).toBe(403);
    expect((JSON.parse(refusedPoll.body) as { message: string }).message).toContain("too_many_connections");
    expect(await metric(server(), 'poseparty_connections_refused_total{reason="address_limit"}')).toBe(7);
    expect(await metric(server(), "poseparty_connected_sockets")).toBe(64);

    // Someone else behind the same proxy is unaffected, and the capped sockets still work.
    const neighbour = await tryConnect(server(), { "x-forwarded-for": "203.0.113.78" });
    expect("client" in neighbour).toBe(true);
    expect(await send(connected[0]!, "clock:ping", {})).toMatchObject({ ok: true });

    // A closed socket frees its place.
    connected[0]!.disconnect();
    await until(() => server().server.realtime.guard.openCount("203.0.113.77") === 63);
    expect("client" in (await tryConnect(server(), crowd))).toBe(true);
    expect("error" in (await tryConnect(server(), crowd))).toBe(true);
  });
});
