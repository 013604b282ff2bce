/**
 * A dropout during the lobby's download (issue 21): a phone behind a slow link (the lab's `3g`
 * profile: 4 Mbit/s down, 100 ms round trip) loses its link for DROPOUT_S in the middle of the
 * runtime and model downloads. The lobby must finish by itself, with no reload and no Retry tap,
 * every bar only ever moving forward, and the server must not send the files again from the
 * start: the page resumes each one with a byte range from what it kept
 * (client/vision/fetchWithProgress.ts, `resume`).
 *
 * Before resuming existed (measured in this lab, the same trigger): an 8 s dropout healed by
 * itself (TCP retransmitted 6 s after the link came back, nothing sent twice); a 35 s one hit the
 * old 30 s silence limit, the lobby said "Loading stopped making progress" and its Retry sent
 * every byte again (12.2 MB from the server instead of 9.7 MB).
 *
 * Needs root (ip netns). Skipped with a message outside CI when not root; under CI it must run.
 */
import { expect, test, type Page } from "@playwright/test";
import { DOWNLOAD_SILENCE_MS } from "@/client/vision/downloads";
import { createRoom } from "./support/room";
import { useLab } from "./support/useLab";

const inCi = process.env.CI === "true" || process.env.CI === "1";
const isRoot = process.getuid?.() === 0;

/**
 * Longer than the page's silence limit plus the few hundred ms of bytes still queued in the
 * router when the link goes, so the page always gives the dead connection up and asks again while
 * the link is down. TCP's own retransmissions on the old connections back off (0.4, 1.2, 2.8, 6,
 * 12.4 s after the drop, then 25 s): past 12.4 s the old ones stay silent until about 25 s, so the
 * bytes that come back come through the resume even if a busy page gives them up late.
 */
const DROPOUT_S = 13;
/** The link goes once the runtime's bar passes this: late enough that resuming beats starting over for every file. */
const DROP_AT_SHARE = 0.8;

/** Records in the page what the bars showed: a bar going back, and any failure shown. */
const RECORD_BARS = () => {
  const seen = { backwards: [] as string[], failures: [] as string[], highest: {} as Record<string, number> };
  (window as unknown as { __downloadSeen: typeof seen }).__downloadSeen = seen;
  const check = () => {
    for (const bar of document.querySelectorAll<HTMLElement>('[data-testid="asset-bar"]')) {
      const key = bar.dataset.asset ?? "?";
      const received = Number(bar.dataset.received);
      if (received < (seen.highest[key] ?? 0)) seen.backwards.push(`${key}: ${seen.highest[key]} -> ${received} (${bar.dataset.stage})`);
      seen.highest[key] = Math.max(seen.highest[key] ?? 0, received);
    }
    const failure = document.querySelector('[data-testid="preload-failure"]');
    if (failure && !seen.failures.includes(failure.textContent ?? "")) seen.failures.push(failure.textContent ?? "");
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-received", "data-stage"] });
};

async function runtimeShare(page: Page): Promise<number> {
  return page.evaluate(() => {
    const bar = document.querySelector<HTMLElement>('[data-testid="asset-bar"][data-asset="runtime"]');
    return bar ? Number(bar.dataset.received) / Number(bar.dataset.total) : 0;
  });
}

test.describe("a dropout during the lobby's download", () => {
  test.skip(!isRoot && !inCi, "needs root for network namespaces (ip netns); run as root, or under CI=true where it must run");

  const { lab, players } = useLab({ homes: [{ name: "phone", router: "home", profile: "3g" }] });

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument destructured; this test uses none
  test("resumes where it stopped: the lobby loads by itself and the server sends no file again", async ({}, testInfo) => {
    test.setTimeout(300_000);
    expect(DROPOUT_S * 1000).toBeGreaterThan(DOWNLOAD_SILENCE_MS + 2_000);
    const home = lab().home("phone");
    const phone = await home.launchPlayer({ name: "phone", video: "messi5", cameraFps: 10 });
    players.push(phone);
    await phone.context.addInitScript(RECORD_BARS);
    const page = phone.page;
    await createRoom(page, "Phone", "messi");
    // What starting over would send again at least: every vision file the lobby loads, as sent (gzip: the lab is plain http).
    // From the page: the test runner itself is outside the lab's namespaces.
    const manifest = (await page.evaluate(() => fetch("/vision/manifest.json").then((response) => response.json()))) as {
      runtime: { files: { name: string; url: string; bytes: number; gzipBytes: number }[] };
      assets: { name: string; url: string; bytes: number; gzipBytes: number }[];
    };
    const lobbyFiles = [
      ...manifest.runtime.files.filter((file) => file.name === "vision_wasm_internal.js" || file.name === "vision_wasm_internal.wasm"),
      ...manifest.assets.filter((asset) => asset.name === "pose_lite"),
    ];
    const wholeFiles = lobbyFiles.reduce((sum, file) => sum + file.gzipBytes, 0);

    home.resetBytesFromServer();
    const startedAt = Date.now();
    await page.getByTestId("start-game").click();
    await expect.poll(() => runtimeShare(page), { timeout: 120_000, intervals: [100] }).toBeGreaterThan(DROP_AT_SHARE);
    const bytesBefore = home.bytesFromServer();
    const droppedAt = Date.now();
    await home.dropout(DROPOUT_S);
    const backAt = Date.now();
    await expect(page.locator('[data-testid="lobby"][data-framing="ok"]')).toBeVisible({ timeout: 200_000 });
    const loadedAt = Date.now();
    const bytesAfter = home.bytesFromServer() - bytesBefore;
    const seen = await page.evaluate(() => (window as unknown as { __downloadSeen: { backwards: string[]; failures: string[] } }).__downloadSeen);
    const resumes = phone.logs.filter((line) => line.includes("[vision]"));
    const summary = [
      `dropout ${DROPOUT_S} s at ${droppedAt - startedAt} ms after Start (runtime bar > ${DROP_AT_SHARE * 100} %)`,
      `lobby loaded ${loadedAt - backAt} ms after the link came back, ${loadedAt - startedAt} ms after Start`,
      `bytes from the server: ${bytesBefore} before the dropout, ${bytesAfter} after; the lobby's files whole: ${wholeFiles}`,
      ...resumes,
    ].join("\n");
    console.log(summary);
    await testInfo.attach("download-dropout.txt", { body: summary, contentType: "text/plain" });

    expect(seen.failures, "the lobby never showed a failure (no Retry tap)").toEqual([]);
    expect(seen.backwards, "no bar went back").toEqual([]);
    // The page gave the dead connections up and asked for the rest (not TCP healing the old ones).
    expect(
      resumes.some((line) => /resuming from byte [1-9]/.test(line)),
      "a download resumed with a range",
    ).toBe(true);
    expect(
      resumes.filter((line) => line.includes("the whole file again")),
      "no file started over",
    ).toEqual([]);
    // What the server had left to send: each resumed file's raw rest, and files not started.
    let rest = 0;
    for (const file of lobbyFiles) {
      const resumedFrom = resumes.map((line) => new RegExp(`${file.url}: .*resuming from byte (\\d+)`).exec(line)?.[1]).find(Boolean);
      rest += resumedFrom === undefined ? 0 : file.bytes - Number(resumedFrom);
    }
    test.info().annotations.push({ type: "bytes after the dropout", description: `${bytesAfter} (the raw rest ${rest}, the files whole ${wholeFiles})` });
    // Only the rest came, plus TCP/IP headers (3.6 % at this MTU), the page's Socket.IO and the
    // odd retransmission. Measured (five runs, load average 11 to 35): 1.03x to 1.07x of the rest,
    // 0.25x to 0.58x of the files whole (0.25 when the model had finished before the dropout), and
    // 0.72x in a CI run where a starved page had not begun the model when the link went.
    // Starting over sends the files whole again: 1.0x of them at least, on top of what came before.
    expect(bytesAfter, "bytes after the dropout, against the raw rest").toBeLessThan(rest * 1.1 + 150_000);
    expect(bytesAfter, "bytes after the dropout, against the files whole (what starting over sends)").toBeLessThan(wholeFiles);
  });
});
