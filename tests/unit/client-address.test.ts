import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { checkOrigin, clientAddress, compileTrust } from "@/server/http/clientAddress";
import { ConfigError, loadConfig } from "@/server/config";

/** Just what the functions read: headers and the TCP peer. */
function request(headers: Record<string, string>, peer = "127.0.0.1"): IncomingMessage {
  return { headers, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
}

describe("clientAddress", () => {
  const forgedChain = { "x-forwarded-for": "6.6.6.6, 198.51.100.1, 10.0.0.2" };

  it("is the TCP peer without a trusted proxy, whatever X-Forwarded-For says", () => {
    expect(clientAddress(request(forgedChain, "192.0.2.9"), compileTrust(0))).toBe("192.0.2.9");
  });

  it("counts hops from the right, never takes the client's own first entry", () => {
    expect(clientAddress(request(forgedChain), compileTrust(1))).toBe("10.0.0.2");
    expect(clientAddress(request(forgedChain), compileTrust(2))).toBe("198.51.100.1");
    expect(clientAddress(request(forgedChain), compileTrust(3))).toBe("6.6.6.6");
    // More hops than entries: the leftmost one there is.
    expect(clientAddress(request({ "x-forwarded-for": "198.51.100.1" }), compileTrust(5))).toBe("198.51.100.1");
    // A peer without the header is the client itself.
    expect(clientAddress(request({}, "192.0.2.9"), compileTrust(1))).toBe("192.0.2.9");
  });

  it("skips the listed proxies and stops at the first untrusted hop", () => {
    const trust = compileTrust(["loopback", "10.0.0.0/8"]);
    expect(clientAddress(request(forgedChain), trust)).toBe("198.51.100.1");
    // A peer that is not a listed proxy is the client, even with the header.
    expect(clientAddress(request(forgedChain, "192.0.2.9"), trust)).toBe("192.0.2.9");
  });
});

describe("checkOrigin", () => {
  const none = compileTrust(0);
  const proxy = compileTrust(1);

  it("allows requests without Origin, the app's own origin and the configured ones", () => {
    expect(checkOrigin(request({ host: "game.test:3000" }), none, [])).toEqual({ ok: true, reason: "no_origin" });
    expect(checkOrigin(request({ host: "game.test:3000", origin: "http://game.test:3000" }), none, [])).toMatchObject({ ok: true, reason: "same_origin" });
    // Default ports compare equal.
    expect(checkOrigin(request({ host: "game.test:443", origin: "https://game.test" }), none, [])).toMatchObject({ ok: true });
    expect(checkOrigin(request({ host: "game.test", origin: "https://192.168.1.2:3443" }), none, ["https://192.168.1.2:3443"])).toMatchObject({
      ok: true,
      reason: "allowed_origin",
    });
  });

  it("refuses other hosts, ports, opaque and malformed origins", () => {
    for (const origin of ["https://evil.test", "http://game.test:3001", "null", "file://", "game.test", "http://game.test.evil.test:3000"]) {
      expect(checkOrigin(request({ host: "game.test:3000", origin }), none, []), origin).toMatchObject({ ok: false });
    }
    expect(checkOrigin(request({ origin: "http://game.test" }), none, [])).toMatchObject({ ok: false });
  });

  it("uses X-Forwarded-Host and -Proto only from a trusted proxy, scheme included", () => {
    const headers = { host: "app:3000", "x-forwarded-host": "party.test", "x-forwarded-proto": "https" };
    expect(checkOrigin(request({ ...headers, origin: "https://party.test" }), proxy, [])).toMatchObject({ ok: true });
    expect(checkOrigin(request({ ...headers, origin: "http://party.test" }), proxy, [])).toMatchObject({ ok: false });
    expect(checkOrigin(request({ ...headers, origin: "https://party.test" }), none, [])).toMatchObject({ ok: false });
    // The peer is not a listed proxy: its forwarded headers mean nothing.
    expect(checkOrigin(request({ ...headers, origin: "https://party.test" }, "192.0.2.9"), compileTrust(["loopback"]), [])).toMatchObject({ ok: false });
  });
});

describe("config: TRUST_PROXY, ALLOWED_ORIGINS, MAX_SOCKETS_PER_ADDRESS, ping", () => {
  const load = (env: Record<string, string>) => loadConfig(env as NodeJS.ProcessEnv);

  it("parses TRUST_PROXY as a hop count or a list of proxies", () => {
    expect(load({}).TRUST_PROXY).toBe(0);
    expect(load({ TRUST_PROXY: "false" }).TRUST_PROXY).toBe(0);
    expect(load({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(1);
    expect(load({ TRUST_PROXY: "1" }).TRUST_PROXY).toBe(1);
    expect(load({ TRUST_PROXY: "3" }).TRUST_PROXY).toBe(3);
    expect(load({ TRUST_PROXY: "loopback, 10.0.0.0/8" }).TRUST_PROXY).toEqual(["loopback", "10.0.0.0/8"]);
    expect(() => load({ TRUST_PROXY: "yes please" })).toThrow(/TRUST_PROXY="yes please": must be true, false, a hop count/);
    expect(() => load({ TRUST_PROXY: "11" })).toThrow(/TRUST_PROXY="11": a hop count must be 0 to 10/);
  });

  it("normalises ALLOWED_ORIGINS and refuses anything that is not an origin", () => {
    expect(load({ ALLOWED_ORIGINS: "https://192.168.1.2:3443, HTTPS://Party.Example/" }).ALLOWED_ORIGINS).toEqual([
      "https://192.168.1.2:3443",
      "https://party.example",
    ]);
    expect(load({}).ALLOWED_ORIGINS).toEqual([]);
    for (const bad of ["party.example", "https://party.example/game", "ftp://party.example", "https://user:pw@party.example"]) {
      expect(() => load({ ALLOWED_ORIGINS: bad }), bad).toThrow(ConfigError);
    }
  });

  it("bounds the socket cap and the ping timings", () => {
    const defaults = load({});
    expect([defaults.MAX_SOCKETS_PER_ADDRESS, defaults.PING_INTERVAL_MS, defaults.PING_TIMEOUT_MS]).toEqual([64, 10_000, 20_000]);
    expect(() => load({ MAX_SOCKETS_PER_ADDRESS: "0" })).toThrow(/MAX_SOCKETS_PER_ADDRESS/);
    expect(() => load({ PING_TIMEOUT_MS: "50" })).toThrow(/PING_TIMEOUT_MS/);
  });
});
