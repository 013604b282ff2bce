/**
 * A phone on a network that refuses WebSocket (captive portals, some corporate proxies and
 * carriers) still plays: the page tries WebSocket first, it fails, and Socket.IO falls back to
 * HTTP long-polling (client/socket.ts: tryAllTransports).
 *
 * The block is emulated inside the page, before any script runs: `window.WebSocket` is replaced by
 * one that fails the way a refused handshake does in a browser (an `error` event, then `close` with
 * code 1006, never `open`). Every WebSocket the page tries, including Engine.IO's upgrade probes
 * once it is on polling, fails like that. The friend's browser is left alone.
 */
import type { Page } from "@playwright/test";
import { test, expect } from "./support/players";
import { createRoom, joinByLink, settleFraming } from "./support/room";

async function blockWebSocket(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const state = { attempts: 0 };
    (window as unknown as { __blockedWebSockets: typeof state }).__blockedWebSockets = state;
    class BlockedWebSocket extends EventTarget {
      static readonly CONNECTING = 0;
      static readonly OPEN = 1;
      static readonly CLOSING = 2;
      static readonly CLOSED = 3;
      readonly CONNECTING = 0;
      readonly OPEN = 1;
      readonly CLOSING = 2;
      readonly CLOSED = 3;
      readonly url: string;
      readyState = 0;
      binaryType: BinaryType = "blob";
      bufferedAmount = 0;
      extensions = "";
      protocol = "";
      onopen: ((event: Event) => void) | null = null;
      onmessage: ((event: MessageEvent) => void) | null = null;
      onerror: ((event: Event) => void) | null = null;
      onclose: ((event: CloseEvent) => void) | null = null;
      constructor(url: string | URL) {
        super();
        this.url = String(url);
        state.attempts++;
        setTimeout(() => {
          this.readyState = 3;
          const error = new Event("error");
          this.onerror?.(error);
          this.dispatchEvent(error);
          const close = new CloseEvent("close", { code: 1006, reason: "", wasClean: false });
          this.onclose?.(close);
          this.dispatchEvent(close);
        }, 30);
      }
      send(): void {
        throw new DOMException("WebSocket is not open", "InvalidStateError");
      }
      close(): void {
        this.readyState = 3;
      }
    }
    Object.defineProperty(window, "WebSocket", { configurable: true, writable: true, value: BlockedWebSocket });
  });
}

test("a player whose network refuses WebSocket joins, plays and scores over long-polling", async ({ players }) => {
  test.setTimeout(300_000);
  const friend = await players.launch({ name: "friend", video: "empty" });
  const messi = await players.launch({ name: "messi", video: "messi5" });
  await blockWebSocket(messi.page);
  const polls: string[] = [];
  messi.page.on("request", (request) => {
    if (request.url().includes("/socket.io/") && request.url().includes("transport=polling")) polls.push(request.url());
  });

  const { link } = await createRoom(friend.page, "Friend", "messi");
  await joinByLink(messi.page, link, "Messi");
  for (const player of [friend, messi]) {
    await expect(player.page.getByTestId("member-name")).toHaveText(["Friend", "Messi"]);
  }
  // It did try WebSocket, and it is talking over polling (session requests carry a sid).
  expect(await messi.page.evaluate(() => (window as unknown as { __blockedWebSockets: { attempts: number } }).__blockedWebSockets.attempts)).toBeGreaterThan(0);
  expect(polls.some((url) => url.includes("sid="))).toBe(true);

  await friend.page.getByTestId("start-game").click();
  // The empty scene fails the framing check: that player plays anyway (see e2e/game.spec.ts).
  expect(await settleFraming(friend.page, 180_000)).toBe("skipped");
  for (const player of [friend, messi]) {
    await expect(player.page.getByTestId("game-stage")).toHaveAttribute("data-role", "player", { timeout: 180_000 });
  }
  await expect(messi.page.getByTestId("target")).toHaveAttribute("data-target", /test-messi5/);

  // Scores travel over polling and reach the friend's scoreboard.
  await expect(messi.page.getByTestId("stage-banner")).toHaveText(/PERFECT|GOOD/, { timeout: 40_000 });
  const messiRow = friend.page.getByTestId("score-row").filter({ hasText: "Messi" });
  await expect.poll(async () => Number(await messiRow.getAttribute("data-total")), { timeout: 10_000 }).toBeGreaterThan(0);

  for (const player of [friend, messi]) {
    await expect(player.page.getByTestId("results")).toBeVisible({ timeout: 60_000 });
    const rows = player.page.getByTestId("ranking-row");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText("Messi");
    expect(Number(await rows.nth(0).getAttribute("data-total"))).toBeGreaterThan(0);
  }
  // Still on polling at the end: every upgrade probe failed, and the game never needed it.
  const sessionPolls = polls.filter((url) => url.includes("sid="));
  expect(sessionPolls.length).toBeGreaterThan(10);
});
