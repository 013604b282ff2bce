/**
 * The capacity comparison's Colyseus 0.18 target: the party workload written the way Colyseus's
 * docs teach it. One room type, `party`, whose schema state holds every member's live meter;
 * `onMessage("meter")` stores the sender's latest sample in the state, `onMessage("award")`
 * counts the award and answers the sender (the SDK's `room.request`, 0.18's acknowledgement);
 * `patchRate` 100 ms sends the state's changes to the members at the game's 10 Hz; `this.clock`
 * changes the round every ROUND_MS (state.round, which rides the next patch). The room's size
 * (4 or 8) comes from the creator's options (`maxClients`).
 *
 * Plain WebSocket transport (`@colyseus/ws-transport`), the in-process matchmaker and presence
 * (one process, like the game server), no auth, no monitor. Loopback only, an ephemeral port.
 * Tells the parent `{ type: "ready", port }` over IPC and answers its memory requests
 * (protocol.ts); stops on SIGTERM or when the parent goes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Room, Server, type Client } from "@colyseus/core";
import { MapSchema, schema, t, type SchemaType } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { answerMemoryRequests } from "../protocol";

/** The round changes this often (the workload's 20 s; the smoke bench passes a shorter one). */
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 20_000);
/** The game's meter fan-out: 10 Hz. */
const PATCH_RATE_MS = 100;

export const Member = schema(
  {
    /** The live meter (similarity 0..1) as the member last sent it. */
    meter: t.number(),
    awards: t.uint16(),
  },
  "Member",
);
export const PartyState = schema(
  {
    round: t.uint16(),
    members: t.map(Member),
  },
  "PartyState",
);
type PartyStateType = SchemaType<typeof PartyState>;
type MemberType = SchemaType<typeof Member>;

class PartyRoom extends Room<{ state: PartyStateType }> {
  override patchRate = PATCH_RATE_MS;
  override autoDispose = true;

  override onCreate(options: { size?: number }): void {
    this.maxClients = Math.min(Math.max(Number(options.size) || 4, 2), 8);
    this.state = new PartyState({ round: 0, members: new MapSchema<MemberType>() });
    this.onMessage("meter", (client: Client, message: { similarity?: unknown }) => {
      const member = this.state.members.get(client.sessionId);
      if (member && typeof message?.similarity === "number" && message.similarity >= 0 && message.similarity <= 1) member.meter = message.similarity;
    });
    // Returning a value answers `room.request("award", ...)` on the sender's side.
    this.onMessage("award", (client: Client, message: { roundIndex?: unknown }) => {
      const member = this.state.members.get(client.sessionId);
      if (!member) return { ok: false, code: "NOT_A_MEMBER" };
      // The current round, or the one that just ended (the sender learns of a round change with the next patch).
      const roundIndex = message?.roundIndex;
      if (roundIndex !== this.state.round && roundIndex !== this.state.round - 1) return { ok: false, code: "WRONG_ROUND" };
      member.awards += 1;
      return { ok: true };
    });
    this.clock.setInterval(() => {
      this.state.round += 1;
    }, ROUND_MS);
  }

  override onJoin(client: Client): void {
    this.state.members.set(client.sessionId, new Member({ meter: 0, awards: 0 }));
  }

  override onLeave(client: Client): void {
    this.state.members.delete(client.sessionId);
  }
}

const httpServer = createServer();
const gameServer = new Server({ transport: new WebSocketTransport({ server: httpServer }), greet: false, gracefullyShutdown: false });
gameServer.define("party", PartyRoom);
await gameServer.listen(0, "127.0.0.1");

answerMemoryRequests();
process.send?.({ type: "ready", port: (httpServer.address() as AddressInfo).port });

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 3_000).unref();
  void gameServer.gracefullyShutdown(false).finally(() => process.exit(0));
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("disconnect", stop);
