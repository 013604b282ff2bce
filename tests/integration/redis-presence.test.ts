// RedisPresence's forwarding between two processes' presences, on a real redis-server (Debian's,
// on loopback): live events (meters) are sent without an answer and gathered into one message per
// owner per turn of the event loop; acked events still get their answer; a bad message is dropped
// and forwarding goes on. The whole server over Redis is tests/integration/scale-out.test.ts.
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForwardedEvent } from "@/server/realtime/presence/presence";
import { RedisPresence } from "@/server/realtime/presence/redisPresence";
import { redisServerInstalled, startRedis, type RedisProcess } from "../../scripts/lib/redisProcess";

// A fixed loopback port of the scale-out suites' range (scale-out.test.ts has 6391).
const REDIS_PORT = 6392;
const redisInstalled = redisServerInstalled();
const inCi = process.env.CI === "true" || process.env.CI === "1";

const meter = (socketId: string, similarity: number): ForwardedEvent => ({
  event: "game:meter",
  payload: { roundIndex: 0, similarity },
  socketId,
  data: { roomCode: "ABCDEF", playerId: socketId },
});

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!redisInstalled && !inCi)("RedisPresence forwarding", () => {
  let redis: RedisProcess | undefined;
  let owner: RedisPresence;
  let other: RedisPresence;
  /** Every message on the owner's request channel, as published. */
  let spy: Redis;
  const published: string[] = [];
  const received: ForwardedEvent[] = [];

  beforeAll(async () => {
    if (!redisInstalled) throw new Error("redis-server is not installed: `apt-get install -y redis-server` (.ci/run installs it). This suite must run in CI.");
    redis = await startRedis(REDIS_PORT);
    const logger = pino({ level: "silent" });
    [owner, other] = await Promise.all([RedisPresence.connect(redis.url, logger), RedisPresence.connect(redis.url, logger)]);
    owner.serveForwarded(async (request) => {
      received.push(request);
      return { answer: { ok: true, echo: request.payload }, data: request.data };
    });
    spy = new Redis(redis.url);
    spy.on("message", (_channel: string, message: string) => published.push(message));
    await spy.subscribe(`poseparty:server:${owner.serverId}:requests`);
  });

  afterAll(async () => {
    await Promise.all([owner?.close(), other?.close(), spy?.quit()]);
    await redis?.stop();
  });

  it("sends the live events of one turn as one message, in order, and wants no answer", async () => {
    published.length = 0;
    received.length = 0;
    for (let index = 0; index < 3; index++) other.send(owner.serverId, meter(`s${index}`, index / 10));
    await until(() => received.length === 3);
    expect(received.map((request) => request.socketId)).toEqual(["s0", "s1", "s2"]);
    expect(received[2]).toEqual(meter("s2", 0.2));
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0]!)).not.toHaveProperty("id");
  });

  it("splits a turn's live events into messages of at most 500", async () => {
    published.length = 0;
    received.length = 0;
    for (let index = 0; index < 1_201; index++) other.send(owner.serverId, meter(`s${index}`, 0.5));
    await until(() => received.length === 1_201);
    expect(published).toHaveLength(3);
    expect(received.at(-1)?.socketId).toBe("s1200");
  });

  it("answers an acked event, and drops a malformed message without stopping", async () => {
    const reply = await other.forward(owner.serverId, meter("acked", 0.7));
    expect(reply?.answer).toEqual({ ok: true, echo: { roundIndex: 0, similarity: 0.7 } });
    received.length = 0;
    const raw = new Redis(redis!.url);
    try {
      const channel = `poseparty:server:${owner.serverId}:requests`;
      await raw.publish(channel, "not json");
      await raw.publish(channel, JSON.stringify({ from: other.serverId, live: [{ event: "game:meter" }] }));
      await raw.publish(channel, JSON.stringify({ from: other.serverId, live: "everything" }));
    } finally {
      raw.disconnect();
    }
    other.send(owner.serverId, meter("after", 0.9));
    await until(() => received.length === 1);
    expect(received[0]?.socketId).toBe("after");
  });
});
