/** Playwright hooks around the network lab (support/netlab.ts), shared by the specs that use it. */
import { writeFileSync } from "node:fs";
import { test } from "@playwright/test";
import { startNetlab, type Netlab, type NetlabSpec } from "./netlab";
import type { Player } from "./players";

const isRoot = process.getuid?.() === 0;

/**
 * One lab for the enclosing describe: started before its tests; after each test its browsers are
 * closed (two at a time on this machine), with their logs and the server's and coturn's attached
 * when it failed; closed after the last test.
 */
export function useLab(spec: NetlabSpec): { lab: () => Netlab; players: Player[] } {
  let lab: Netlab | undefined;
  const players: Player[] = [];
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    if (!isRoot) throw new Error("CI=true but not root: this test needs root for `ip netns` (.ci/run runs as root).");
    lab = await startNetlab(spec);
  });
  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this hook uses none
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      // Written as files too: the reporter's output cuts an attachment's body to its first lines.
      for (const player of players) {
        const file = testInfo.outputPath(`${player.name}-console.txt`);
        writeFileSync(file, player.logs.join("\n"));
        await testInfo.attach(`${player.name}-console.txt`, { path: file, contentType: "text/plain" });
      }
      await testInfo.attach("server.log", { body: lab?.serverLog() ?? "", contentType: "text/plain" });
      await testInfo.attach("coturn.log", { body: lab?.turnLog() ?? "", contentType: "text/plain" });
    }
    await Promise.allSettled(players.map((player) => player.close()));
    players.length = 0;
  });
  test.afterAll(async () => {
    await lab?.close();
  });
  return {
    lab: () => {
      if (!lab) throw new Error("the network lab did not start");
      return lab;
    },
    players,
  };
}
