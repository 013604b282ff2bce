/**
 * Run inside a lab home (`ip netns exec <home> tsx bench/network/clockProbe.ts <origin>`): the
 * game's clock estimate as a phone makes it (client/game/clockSync.ts: 8 `clock:ping` samples
 * 40 ms apart, core/clock.ts keeps the low-round-trip half), over the home's link and NAT to the
 * lab's server. Server and probe read this machine's one clock, so the estimated offset IS its
 * error. Prints one JSON line: rounds of estimates, each { offsetMs, roundTripMs }.
 */
import { io } from "socket.io-client";
import { estimateClockOffset, type ClockSample } from "../../core/clock";

const SAMPLES = 8;
const ROUNDS = Number(process.argv[3] ?? 5);
const origin = process.argv[2];
if (!origin) throw new Error("usage: clockProbe.ts <origin> [rounds]");

const socket = io(origin, { transports: ["websocket"], reconnection: false, timeout: 15_000 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const estimates: { offsetMs: number; roundTripMs: number }[] = [];
try {
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  for (let round = 0; round < ROUNDS; round++) {
    const samples: ClockSample[] = [];
    for (let index = 0; index < SAMPLES; index++) {
      const clientSentAt = Date.now();
      const answer = (await socket.timeout(10_000).emitWithAck("clock:ping", {})) as { ok: boolean; serverTime?: number };
      const clientReceivedAt = Date.now();
      if (answer.ok && typeof answer.serverTime === "number") samples.push({ clientSentAt, serverTime: answer.serverTime, clientReceivedAt });
      await sleep(40);
    }
    const estimate = estimateClockOffset(samples);
    if (estimate.samplesUsed > 0) estimates.push({ offsetMs: estimate.offsetMs, roundTripMs: estimate.roundTripMs });
    // A game syncs at each phase change, seconds apart: spread the rounds likewise.
    await sleep(1_000);
  }
  console.log(JSON.stringify({ estimates }));
} finally {
  socket.close();
}
