/** Messages between the capacity orchestrator (server/section.ts) and its load generator processes. */
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import type { HistogramData } from "../lib/stats";

/** The servers under test: PoseParty's game server, the bare Socket.IO relay, the Colyseus 0.18 room (comparison only). */
export type LoadMode = "game" | "relay" | "colyseus";

/**
 * `capacity`: the game-vs-relay capacity ladder (rooms of 4; the relay re-broadcasts `score`
 * events and answers nothing). `party`: the comparison's one workload for all three servers
 * (section.ts, PARTY_WORKLOAD): rooms of `playersPerRoom`, live meters at 10 a second, one acked
 * award per player per round; the relay gets the same meters and acks the award.
 */
export type Workload = "capacity" | "party";

export type ToGenerator =
  | {
      type: "setup";
      mode: LoadMode;
      url: string;
      rooms: number;
      /** 4 unless set (the party workload: 4 or 8). */
      playersPerRoom?: number;
      workload?: Workload;
      /** relay and colyseus, party workload: the rounds' length (the award is one per player per round). */
      roundMs?: number;
      generatorIndex: number;
      step: number;
      secondsPerRound: number;
      /** Rooms set up at once (each: 4 connections and its joins). */
      concurrency: number;
      /** game-msgpack: socket.io-client with socket.io-msgpack-parser, as the server under test has it. Absent: the default JSON parser. */
      socketParser?: "msgpack";
      /**
       * game-redis: the processes behind one Redis (`url` is the first). Rooms are created on
       * them in turn (the creator's process owns the room); the room's other players alternate
       * between the owner and the next process, so half of them play across processes
       * (`playersOnOwner`: all of them on the owner, as a room-aware balancer would place them).
       */
      urls?: string[];
      playersOnOwner?: boolean;
    }
  /** game: every player reports ready now. relay, colyseus: send between sendFrom and sendTo (epoch ms). */
  | { type: "go"; sendFrom?: number; sendTo?: number }
  /** Only events sent within [from, to) (epoch ms) are measured. */
  | { type: "window"; from: number; to: number }
  | { type: "report" }
  | { type: "teardown" };

export interface GeneratorReport {
  type: "report";
  /** Events sent within the window (game: meter samples and awards; relay: score events). */
  sent: number;
  /** Deliveries expected within the window: meter samples sent x (players in the room - 1) (awards go to their sender only). */
  expectedDeliveries: number;
  /** Deliveries matched to a send within the window (at the other players of the room). */
  delivered: number;
  /**
   * relay: event-to-re-broadcast latency at the receiving clients. game: the age of each meter
   * value a friend is shown (now minus when the player sent that sample).
   */
  latency: HistogramData;
  /** Acknowledgement round trip (game: the awards). */
  ack: HistogramData;
  /** game-redis: the meter ages of deliveries that crossed processes (sender or receiver not on the room's owner). */
  crossLatency: HistogramData;
  /** game-redis: the award acks of players not on their room's owner (forwarded there and back through Redis). */
  crossAck: HistogramData;
  /** game: meter updates each friend received about each other player within the window, per second (one entry per pair). */
  meterRefreshHz: number[];
  /**
   * game: the room's meter broadcasts each player received within the window that carried at
   * least one friend's meter, per second (one entry per player): the room's tick cadence as that
   * player's screen saw it.
   */
  meterBroadcastHz: number[];
  ackErrors: Record<string, number>;
  /** Acked events sent within the window with no answer by the report (1.5 s or more after the window). */
  unanswered: number;
  disconnects: number;
  /**
   * TCP payload bytes (both ways: HTTP, WebSocket frames and their headers; no TCP/IP headers)
   * through every socket this generator opened, within the window: net.Socket bytesRead +
   * bytesWritten read at the window's open and close.
   */
  wireBytes: number;
  /** Event-loop delay of this generator process since "go" (ms): if high, the generator was the bottleneck. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** CPU of this generator since "go", % of one core. */
  cpuPercent: number;
}

export type FromGenerator =
  | { type: "staged"; rooms: number; sockets: number; setupMs: number; failures: string[] }
  | { type: "playing"; rooms: number; minStart: number; maxStart: number; minEnd: number; maxEnd: number; failures: string[] }
  | GeneratorReport
  | { type: "done" }
  | { type: "error"; message: string };

/** Orchestrator → server under test (game or relay): report memory, optionally after full GCs. */
export interface MemoryRequest {
  type: "memory";
  /** Run full garbage collections first (the server runs with --expose-gc). */
  gc: boolean;
}

/** Server under test → orchestrator: `process.memoryUsage()` in bytes. */
export interface MemoryReport {
  type: "memory";
  usage: NodeJS.MemoryUsage;
}

/**
 * Orchestrator → server under test: start V8's CPU profiler, or stop it and write the profile
 * (a `.cpuprofile`, as `node --cpu-prof` writes) to `file` (bench/server/profile.ts).
 */
export type ProfileRequest = { type: "profile"; action: "start"; intervalUs: number } | { type: "profile"; action: "stop"; file: string };

/** Server under test → orchestrator: the profiler started, or the profile is written. */
export interface ProfileReport {
  type: "profile";
  action: "started" | "written";
}

/** Sends a ProfileRequest to a server under test and waits for its answer. */
export function askProfiler(child: ChildProcess, request: ProfileRequest, answer: ProfileReport["action"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not answer ${request.action} within 30 s`)), 30_000);
    const onMessage = (message: ProfileReport | { type?: string }) => {
      if (message.type !== "profile" || !("action" in message) || message.action !== answer) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve();
    };
    child.on("message", onMessage);
    child.send(request);
  });
}

/** Answers MemoryRequests and ProfileRequests on the IPC channel (used by both servers under test). */
export function answerMemoryRequests(): void {
  let profiler: Session | null = null;
  process.on("message", (message: ProfileRequest) => {
    if (message?.type !== "profile") return;
    void (async () => {
      if (message.action === "start") {
        profiler = new Session();
        profiler.connect();
        await profiler.post("Profiler.enable");
        await profiler.post("Profiler.setSamplingInterval", { interval: message.intervalUs });
        await profiler.post("Profiler.start");
        process.send?.({ type: "profile", action: "started" } satisfies ProfileReport);
      } else if (profiler) {
        const { profile } = await profiler.post("Profiler.stop");
        profiler.disconnect();
        profiler = null;
        writeFileSync(message.file, JSON.stringify(profile));
        process.send?.({ type: "profile", action: "written" } satisfies ProfileReport);
      }
    })();
  });
  process.on("message", (message: MemoryRequest) => {
    if (message?.type !== "memory") return;
    // Twice: PGlite's spent initdb WebAssembly instance is only released by the GC after the one
    // that finalizes it.
    if (message.gc) for (let pass = 0; pass < 2; pass++) globalThis.gc?.();
    const report: MemoryReport = { type: "memory", usage: process.memoryUsage() };
    process.send?.(report);
  });
}
