/**
 * POST /api/livekit/token on the real server over loopback HTTP: only a current member gets a
 * token, and its grants are exactly that room's. Also the LiveKit/TURN variables' validation.
 */
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "livekit-server-sdk";
import { ConfigError, iceServersFor, loadConfig, missingRelayWarning } from "@/server/config";
import { LIVEKIT_TOKEN_TTL_S } from "@/server/http/livekitToken";
import { expectOk, send, useTestServer } from "./support";

const LIVEKIT = {
  LIVEKIT_URL: "wss://livekit.example.test",
  LIVEKIT_API_KEY: "APItestkey",
  LIVEKIT_API_SECRET: "a-test-secret-that-is-long-enough-for-hs256-0123456789",
};

function postToken(baseUrl: string, body: unknown, init: { contentType?: string; method?: string; raw?: string } = {}) {
  return fetch(`${baseUrl}/api/livekit/token`, {
    method: init.method ?? "POST",
    headers: { "Content-Type": init.contentType ?? "application/json" },
    body: init.method === "GET" ? undefined : (init.raw ?? JSON.stringify(body)),
  });
}

describe("LiveKit token route (configured)", () => {
  const server = useTestServer(LIVEKIT);

  it("gives a member a short-lived token for its own room only, with the player id as identity", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Mina" }));
    // Codes are accepted the way people type them (lower case, dashes).
    const typed = `${created.room.code.slice(0, 3)}-${created.room.code.slice(3)}`.toLowerCase();
    const response = await postToken(server().url, { roomCode: typed, sessionToken: created.sessionToken });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const answer = (await response.json()) as { url: string; token: string; identity: string };
    expect(answer.url).toBe(LIVEKIT.LIVEKIT_URL);
    expect(answer.identity).toBe(created.playerId);

    const claims = await new TokenVerifier(LIVEKIT.LIVEKIT_API_KEY, LIVEKIT.LIVEKIT_API_SECRET).verify(answer.token);
    expect(claims.sub).toBe(created.playerId);
    expect(claims.iss).toBe(LIVEKIT.LIVEKIT_API_KEY);
    expect(claims.name).toBe("Mina");
    expect(claims.video).toEqual({
      room: created.room.code,
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: false,
      canPublishSources: ["camera", "microphone"],
    });
    // Nothing beyond the room grant: no admin, no recording, no SIP, no inference, no metadata.
    expect(Object.keys(claims).filter((key) => !["exp", "iss", "nbf", "iat", "jti", "sub", "name", "video"].includes(key))).toEqual([]);
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBeLessThanOrEqual(LIVEKIT_TOKEN_TTL_S);
  });

  it("refuses a non-member, a member of another room, and a member who left", async () => {
    const a = await server().connectClient();
    const roomA = expectOk(await send(a, "room:create", { nickname: "A" }));
    const b = await server().connectClient();
    const roomB = expectOk(await send(b, "room:create", { nickname: "B" }));

    const stranger = await postToken(server().url, { roomCode: roomA.room.code, sessionToken: "x".repeat(24) });
    expect(stranger.status).toBe(403);
    expect(await stranger.json()).toMatchObject({ error: "not_a_member" });
    expect((await postToken(server().url, { roomCode: roomA.room.code, sessionToken: roomB.sessionToken })).status).toBe(403);
    expect((await postToken(server().url, { roomCode: "ZZZZZZZ", sessionToken: roomA.sessionToken })).status).toBe(403);

    const friend = await server().connectClient();
    const joined = expectOk(await send(friend, "room:join", { roomCode: roomA.room.code, nickname: "Friend" }));
    expect((await postToken(server().url, { roomCode: roomA.room.code, sessionToken: joined.sessionToken })).status).toBe(200);
    expectOk(await send(friend, "room:leave", {}));
    expect((await postToken(server().url, { roomCode: roomA.room.code, sessionToken: joined.sessionToken })).status).toBe(403);
  });

  it("answers bad requests with a status and a message", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const good = { roomCode: created.room.code, sessionToken: created.sessionToken };

    const cases: Array<[string, Promise<Response>, number]> = [
      ["GET", postToken(server().url, null, { method: "GET" }), 405],
      ["form body", postToken(server().url, null, { contentType: "application/x-www-form-urlencoded", raw: "roomCode=A" }), 415],
      ["not JSON", postToken(server().url, null, { raw: "{roomCode:" }), 400],
      ["array", postToken(server().url, [good]), 400],
      ["missing token", postToken(server().url, { roomCode: created.room.code }), 400],
      ["extra key", postToken(server().url, { ...good, admin: true }), 400],
      ["bad token shape", postToken(server().url, { ...good, sessionToken: "short" }), 400],
      ["over 2 KB", postToken(server().url, { ...good, padding: "x".repeat(4_000) }), 413],
    ];
    for (const [name, pending, status] of cases) {
      const response = await pending;
      expect(response.status, name).toBe(status);
      const body = (await response.json()) as { error: string; message: string };
      expect(body.message.length, name).toBeGreaterThan(0);
    }
    expect((await postToken(server().url, good)).status).toBe(200);
  });
});

describe("LiveKit token route (not configured)", () => {
  const server = useTestServer();

  it("answers 503 not_configured, even for a member", async () => {
    const host = await server().connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const response = await postToken(server().url, { roomCode: created.room.code, sessionToken: created.sessionToken });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe("not_configured");
    expect(body.message).toMatch(/LIVEKIT_URL/);
  });
});

describe("call environment variables", () => {
  const base = { NODE_ENV: "test" } as const;
  const configError = (env: Record<string, string>): string => {
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error("expected a ConfigError");
  };

  it("names the missing LiveKit variable and never prints the secret", () => {
    const message = configError({ LIVEKIT_URL: LIVEKIT.LIVEKIT_URL, LIVEKIT_API_SECRET: LIVEKIT.LIVEKIT_API_SECRET });
    expect(message).toMatch(/LIVEKIT_API_KEY=\(unset\): must be set too/);
    expect(message).not.toMatch(/LIVEKIT_URL=/);
    expect(configError({ LIVEKIT_API_SECRET: LIVEKIT.LIVEKIT_API_SECRET })).not.toContain(LIVEKIT.LIVEKIT_API_SECRET);
    expect(configError({ ...LIVEKIT, LIVEKIT_URL: "livekit.example.test" })).toMatch(/LIVEKIT_URL="livekit.example.test": must be a wss:\/\//);
  });

  it("validates STUN and TURN settings, naming the variable", () => {
    expect(configError({ STUN_URLS: "stun:ok.example:3478, http://nope" })).toMatch(/STUN_URLS=.*stun: or stuns:/);
    expect(configError({ TURN_URLS: "turn:relay.example:3478" })).toMatch(/TURN_URLS=.*needs credentials/);
    expect(configError({ TURN_URLS: "turn:relay.example:3478", TURN_USERNAME: "u" })).toMatch(/TURN_CREDENTIAL=\(unset\)/);
    expect(configError({ TURN_SECRET: "0123456789abcdef0123" })).toMatch(/TURN_URLS=\(unset\): must be set/);
    const both = configError({ TURN_URLS: "turn:r.example", TURN_SECRET: "0123456789abcdef0123", TURN_USERNAME: "u", TURN_CREDENTIAL: "p" });
    expect(both).toMatch(/TURN_SECRET=\(hidden\)/);
    expect(both).not.toContain("0123456789abcdef0123");
  });

  it("hands out ICE servers from the environment, minting coturn REST credentials from TURN_SECRET", () => {
    expect(iceServersFor(loadConfig(base))).toEqual([]);
    const withStatic = loadConfig({
      ...base,
      STUN_URLS: "stun:a.example:3478,stun:b.example",
      TURN_URLS: "turn:r.example:3478?transport=udp,turns:r.example:5349",
      TURN_USERNAME: "u",
      TURN_CREDENTIAL: "p",
    });
    expect(iceServersFor(withStatic)).toEqual([
      { urls: ["stun:a.example:3478", "stun:b.example"] },
      { urls: ["turn:r.example:3478?transport=udp", "turns:r.example:5349"], username: "u", credential: "p" },
    ]);
    const withSecret = loadConfig({ ...base, TURN_URLS: "turn:r.example", TURN_SECRET: "0123456789abcdef0123" });
    const [turn] = iceServersFor(withSecret, 1_700_000_000_000);
    expect(turn?.username).toBe(`${1_700_000_000 + 12 * 3600}:poseparty`);
    // Known answer: printf '%s' "1700043200:poseparty" | openssl dgst -sha1 -hmac 0123456789abcdef0123 -binary | base64
    expect(turn?.credential).toBe("DaU3Ms/Y3yF2+h9eeUxNLGZrtoc=");
    // A host (or the expiry test) can shorten the lifetime.
    const [short] = iceServersFor(
      loadConfig({ ...base, TURN_URLS: "turn:r.example", TURN_SECRET: "0123456789abcdef0123", TURN_CREDENTIAL_TTL_S: "5" }),
      1_700_000_000_000,
    );
    expect(short?.username).toBe(`${1_700_000_000 + 5}:poseparty`);
    expect(() => loadConfig({ ...base, TURN_CREDENTIAL_TTL_S: "0" })).toThrow(ConfigError);
  });

  it("tells the host at start-up which setting the mesh call's relay is missing", () => {
    expect(missingRelayWarning(loadConfig(base))).toMatch(/^the call has no relay: set TURN_URLS and TURN_SECRET/);
    expect(missingRelayWarning(loadConfig({ ...base, STUN_URLS: "stun:a.example" }))).toMatch(/set TURN_URLS and TURN_SECRET/);
    expect(missingRelayWarning(loadConfig({ ...base, TURN_URLS: "turn:r.example", TURN_SECRET: "0123456789abcdef0123" }))).toBeNull();
    // A laptop party on one Wi-Fi connects directly; LiveKit relays through its own server.
    expect(missingRelayWarning(loadConfig({ ...base, HTTPS: "lan" }))).toBeNull();
    expect(
      missingRelayWarning(
        loadConfig({ ...base, LIVEKIT_URL: "wss://lk.example", LIVEKIT_API_KEY: "key", LIVEKIT_API_SECRET: "0123456789abcdef0123456789abcdef" }),
      ),
    ).toBeNull();
  });
});
