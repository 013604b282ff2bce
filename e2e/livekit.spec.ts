/**
 * The call through a real LiveKit server. No LiveKit server can run on the CI machines (no
 * internet, no binary in npm or Debian), so this runs only when the e2e server is configured
 * for one: start Playwright with LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET in the
 * environment (the webServer inherits them; a reused server must have been started with them).
 *
 *   LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret \
 *     npx playwright test e2e/livekit.spec.ts        # with `livekit-server --dev` running
 */
import type { Page } from "@playwright/test";
import type { CallDebug } from "@/client/call/useCall";
import { test, expect } from "./support/players";
import { createRoom, joinByLink } from "./support/room";

test.skip(!process.env.LIVEKIT_URL, "needs a LiveKit server: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET");

function callDebug(page: Page): Promise<{ provider: string; frames: Record<string, number>; peers: Record<string, string> }> {
  return page.evaluate(() => {
    const call = window.__poseparty?.call as CallDebug | undefined;
    return { provider: call?.provider ?? "none", frames: call?.decodedFrames() ?? {}, peers: call?.peers() ?? {} };
  });
}

test("two phones meet through LiveKit: video plays, switches show, a leave removes the tile", async ({ players }) => {
  test.setTimeout(120_000);
  const host = await players.launch({ name: "host-messi", video: "messi5" });
  const friend = await players.launch({ name: "astronaut", video: "astronaut" });
  const { link } = await createRoom(host.page, "Mina");
  await joinByLink(friend.page, link, "Astro");
  const hostId = await host.page.getByTestId("self-tile").getAttribute("data-player");
  const friendId = await friend.page.getByTestId("self-tile").getAttribute("data-player");

  for (const [page, otherId] of [
    [host.page, friendId],
    [friend.page, hostId],
  ] as const) {
    expect((await callDebug(page)).provider).toBe("livekit");
    const tile = page.locator(`[data-testid="remote-tile"][data-player="${otherId}"]`);
    await expect(tile).toHaveAttribute("data-status", "connected", { timeout: 20_000 });
    await expect.poll(() => tile.locator("video").evaluate((video: HTMLVideoElement) => video.videoWidth), { timeout: 20_000 }).toBeGreaterThan(0);
    const before = (await callDebug(page)).frames[otherId ?? ""] ?? 0;
    await page.waitForTimeout(2_000);
    expect((await callDebug(page)).frames[otherId ?? ""] ?? 0).toBeGreaterThan(before);
  }

  await friend.page.getByTestId("toggle-mic").click();
  await expect(host.page.locator(`[data-testid="remote-tile"][data-player="${friendId}"]`)).toHaveAttribute("data-muted", "true");

  await friend.page.getByTestId("leave-room").click();
  await expect(host.page.getByTestId("remote-tile")).toHaveCount(0);
});
