/** One process: every room lives here, nothing is ever forwarded (the default without REDIS_URL). */
import { randomUUID } from "node:crypto";
import type { ForwardedAnswer, Presence } from "./presence";

export class LocalPresence implements Presence {
  readonly serverId = randomUUID();
  readonly distributed = false;
  readonly socketIoAdapter = undefined;

  async claimRoom(): Promise<boolean> {
    return true;
  }

  /** Rooms are looked up in the hub directly: any room that exists is ours. */
  async roomOwner(): Promise<string | null> {
    return null;
  }

  async forward(): Promise<ForwardedAnswer | null> {
    return null;
  }

  send(): void {}

  serveForwarded(): void {}

  keepRoomsAlive(): void {}

  async close(): Promise<void> {}
}
