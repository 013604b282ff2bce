// HTTPS=lan on the real server (without Next.js) on a loopback port: HTTPS and plain HTTP on one
// port, Socket.IO over wss:// and over plain polling, the certificate kept in DATA_DIR and
// reused by the next start. Clients trust exactly the certificate the server made (no
// "ignore certificate errors"), so a handshake with the wrong certificate fails the test.
// The phone-and-laptop version with real Chromium over a network is e2e/lan-https.spec.ts.
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import { connect as openTcp } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPoseServer, type RunningServer } from "@/server/app";
import { loadConfig } from "@/server/config";
import { certificatePaths, loadOrCreateLanCertificate } from "@/server/lan/certificate";
import type { TestClient } from "./support";
import { expectOk, send } from "./support";

async function startLanServer(dataDir: string): Promise<RunningServer> {
  const config = loadConfig({ NODE_ENV: "test", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", HTTPS: "lan" });
  return startPoseServer({ config, logger: pino({ level: "silent" }), withNext: false });
}

function get(url: string, agent?: Agent): Promise<{ status: number; body: string; encrypted: boolean }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = send(url, { agent }, (res) => {
      // Read now: the socket is detached from the response once it ends.
      const encrypted = "encrypted" in res.socket && res.socket.encrypted === true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, encrypted }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTPS=lan: one port, HTTPS and plain HTTP", () => {
  let dataDir: string;
  let server: RunningServer | undefined;
  let ca: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-lan-"));
    server = await startLanServer(dataDir);
    ca = await readFile(certificatePaths(dataDir).cert, "utf8");
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("makes a certificate in DATA_DIR naming localhost, with a private key only the owner reads", async () => {
    const certificate = new X509Certificate(ca);
    const names = certificate.subjectAltName ?? "";
    expect(names).toContain("DNS:localhost");
    expect(names).toContain("IP Address:127.0.0.1");
    expect(certificate.fingerprint256).toBe(server!.lan!.fingerprint256);
    expect((await stat(certificatePaths(dataDir).key)).mode & 0o777).toBe(0o600);
    // HOST=127.0.0.1 here: no LAN address reaches it, so none is offered to phones (the
    // namespaced e2e test checks the listing with a real LAN address).
    expect(server!.lan!.urls).toEqual([]);
    expect(server!.url).toBe(`https://127.0.0.1:${server!.port}`);
  });

  it("answers HTTPS with that certificate and plain HTTP on the same port", async () => {
    const agent = new Agent({ ca, keepAlive: false });
    const secure = await get(`https://127.0.0.1:${server!.port}/api/health`, agent);
    expect(secure).toMatchObject({ status: 200, encrypted: true });
    expect(JSON.parse(secure.body)).toMatchObject({ ok: true, db: "up" });
    const plain = await get(`http://127.0.0.1:${server!.port}/api/health`);
    expect(plain).toMatchObject({ status: 200, encrypted: false });
    // A handshake against a client that trusts nothing fails (the certificate really is self-signed).
    await expect(get(`https://127.0.0.1:${server!.port}/api/health`, new Agent({ keepAlive: false }))).rejects.toThrow(/self[- ]signed/i);
    // The server is still fine after that rejected handshake.
    expect((await get(`https://127.0.0.1:${server!.port}/api/health`, agent)).status).toBe(200);
  });

  it("runs Socket.IO over wss:// and over plain HTTP long-polling, in the same room", async () => {
    const secureClient: TestClient = connect(server!.url, { transports: ["websocket"], forceNew: true, reconnection: false, ca });
    const plainClient: TestClient = connect(`http://127.0.0.1:${server!.port}`, { transports: ["polling"], forceNew: true, reconnection: false });
    clients.push(secureClient, plainClient);
    for (const client of clients) {
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("connect_error", reject);
      });
    }
    const created = expectOk(await send(secureClient, "room:create", { nickname: "Laptop" }));
    const joined = expectOk(await send(plainClient, "room:join", { roomCode: created.room.code, nickname: "Phone" }));
    expect(joined.room.members.map((member) => member.nickname)).toEqual(["Laptop", "Phone"]);
    expect(server!.lan!.connections.tls).toBeGreaterThan(0);
    expect(server!.lan!.connections.plain).toBeGreaterThan(0);
  });

  it("closes a connection that never sends a byte when the server stops, and keeps the certificate for the next start", { timeout: 120_000 }, async () => {
    const idle = openTcp(server!.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      idle.once("connect", () => resolve());
      idle.once("error", reject);
    });
    const idleClosed = new Promise<void>((resolve) => idle.once("close", () => resolve()));
    const first = server!.lan!.fingerprint256;
    await server!.close();
    await idleClosed;
    server = await startLanServer(dataDir);
    expect(server.lan!.fingerprint256).toBe(first);
    const agent = new Agent({ ca, keepAlive: false });
    expect((await get(`https://127.0.0.1:${server.port}/api/health`, agent)).status).toBe(200);
  });
});

describe("the LAN certificate", () => {
  const logger = pino({ level: "silent" });

  it("is kept while it names every address, and made again when the laptop joins another network or it nears expiry", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-lan-cert-"));
    try {
      const first = await loadOrCreateLanCertificate({ dataDir, addresses: ["192.168.1.20"], logger });
      expect(first.created).toBe(true);
      const again = await loadOrCreateLanCertificate({ dataDir, addresses: ["192.168.1.20"], logger });
      expect(again).toMatchObject({ created: false, fingerprint256: first.fingerprint256 });
      const moved = await loadOrCreateLanCertificate({ dataDir, addresses: ["10.0.0.7"], logger });
      expect(moved.created).toBe(true);
      expect(new X509Certificate(moved.cert).subjectAltName).toContain("IP Address:10.0.0.7");
      const nearExpiry = new Date(moved.validTo.getTime() - 10 * 24 * 60 * 60 * 1000);
      const renewed = await loadOrCreateLanCertificate({ dataDir, addresses: ["10.0.0.7"], logger, now: nearExpiry });
      expect(renewed.created).toBe(true);
      expect(renewed.validTo.getTime()).toBeGreaterThan(moved.validTo.getTime());
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
