/**
 * Prometheus metrics (prom-client). The realtime code only sees the small RealtimeMetrics
 * interface; this module owns the registry and its names. One registry per server (not
 * prom-client's global one) so several servers in one test process do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ClientEventName, LiveEventName } from "@/core/protocol";

/** Why the boundary refused an event; a fixed set, so a fuzzer cannot grow the label space. */
export type RejectionReason = "schema" | "rate" | "size" | "unknown";

/** Why a Socket.IO connection was refused before it opened; a fixed set, like RejectionReason. */
export type ConnectionRefusal = "origin" | "address_limit";

/** Process-wide failures the server's own handlers catch (app.ts). */
export type ProcessErrorKind = "uncaught_exception" | "unhandled_rejection";

/** What socketServer.ts and roomHub.ts report. */
export interface RealtimeMetrics {
  /** An event passed every boundary check (rate, name, size, schema) and reached its handler. */
  eventAccepted(event: ClientEventName | LiveEventName): void;
  eventRejected(reason: RejectionReason): void;
  /** A handshake was refused: a foreign Origin, or too many sockets from one address. */
  connectionRefused(reason: ConnectionRefusal): void;
  /** A scoreboard went out; each time is when (performance.now()) a score it carries arrived. */
  scoreboardSent(scoreArrivals: readonly number[]): void;
  /** An award was refused because the player's live meter had not shown the hold (implausible_award). */
  awardRefused(): void;
}

export const noRealtimeMetrics: RealtimeMetrics = {
  eventAccepted: () => {},
  eventRejected: () => {},
  connectionRefused: () => {},
  scoreboardSent: () => {},
  awardRefused: () => {},
};

/** Read at scrape time, so the gauges are never stale. */
export interface LiveCounts {
  rooms(): number;
  /** Members seated in rooms (a reconnecting member still counts). */
  roomMembers(): number;
  /** Open Socket.IO connections. */
  connectedSockets(): number;
}

export interface ServerMetrics extends RealtimeMetrics {
  readonly registry: Registry;
  /** Wires the gauges to the live hub once it exists. */
  observe(counts: LiveCounts): void;
  /** An uncaught exception or unhandled rejection reached the process handlers. */
  processError(kind: ProcessErrorKind): void;
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let counts: LiveCounts | undefined;

  new Gauge({
    name: "poseparty_rooms",
    help: "Rooms open in this process.",
    registers: [registry],
    collect() {
      this.set(counts?.rooms() ?? 0);
    },
  });
  new Gauge({
    name: "poseparty_room_members",
    help: "Members seated in this process's rooms, including those reconnecting.",
    registers: [registry],
    collect() {
      this.set(counts?.roomMembers() ?? 0);
    },
  });
  new Gauge({
    name: "poseparty_connected_sockets",
    help: "Open Socket.IO connections (players, whether in a room yet or not).",
    registers: [registry],
    collect() {
      this.set(counts?.connectedSockets() ?? 0);
    },
  });
  // Counted in a plain map and added to the counter at scrape time: every live meter sample is
  // counted, and prom-client's labelled inc (validate and hash the labels) cost more than the
  // sample's own handling.
  const acceptedSinceScrape = new Map<string, number>();
  new Counter({
    name: "poseparty_client_events_total",
    help: "Client events accepted at the boundary, by event name (rate() of it is events a second).",
    labelNames: ["event"] as const,
    registers: [registry],
    collect() {
      for (const [event, count] of acceptedSinceScrape) this.inc({ event }, count);
      acceptedSinceScrape.clear();
    },
  });
  const rejected = new Counter({
    name: "poseparty_client_events_rejected_total",
    help: "Client events refused at the boundary, by reason: schema, rate, size, unknown.",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  for (const reason of ["schema", "rate", "size", "unknown"] satisfies RejectionReason[]) rejected.inc({ reason }, 0);
  const refused = new Counter({
    name: "poseparty_connections_refused_total",
    help: "Socket.IO handshakes refused before a session opened, by reason: origin (a foreign page), address_limit (MAX_SOCKETS_PER_ADDRESS).",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  for (const reason of ["origin", "address_limit"] satisfies ConnectionRefusal[]) refused.inc({ reason }, 0);
  const uncaughtExceptions = new Counter({
    name: "poseparty_uncaught_exceptions_total",
    help: "Exceptions no code caught (process 'uncaughtException'); logged at error level, the server carries on.",
    registers: [registry],
  });
  const unhandledRejections = new Counter({
    name: "poseparty_unhandled_rejections_total",
    help: "Promise rejections nothing handled (process 'unhandledRejection'); logged at error level.",
    registers: [registry],
  });
  const scoreboardLatency = new Histogram({
    name: "poseparty_scoreboard_latency_seconds",
    help: "From a score event's arrival to the scoreboard broadcast that carries it.",
    // Broadcasts are batched every 25 ms per room: most land under 0.025 s.
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });

  const implausibleAwards = new Counter({
    name: "poseparty_implausible_awards_total",
    help: "Awards refused because the player's live meter had not shown the hold first (implausible_award): scripted or replayed awards.",
    registers: [registry],
  });

  return {
    registry,
    observe(liveCounts) {
      counts = liveCounts;
    },
    eventAccepted(event) {
      acceptedSinceScrape.set(event, (acceptedSinceScrape.get(event) ?? 0) + 1);
    },
    eventRejected(reason) {
      rejected.inc({ reason });
    },
    connectionRefused(reason) {
      refused.inc({ reason });
    },
    processError(kind) {
      (kind === "uncaught_exception" ? uncaughtExceptions : unhandledRejections).inc();
    },
    awardRefused() {
      implausibleAwards.inc();
    },
    scoreboardSent(scoreArrivals) {
      const now = performance.now();
      for (const arrival of scoreArrivals) scoreboardLatency.observe((now - arrival) / 1000);
    },
  };
}
