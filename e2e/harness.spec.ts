/**
 * Smoke test of the end-to-end harness itself: the app answers, and two players launched with
 * different fake videos each see their own video through getUserMedia.
 */
import { test, expect, type Player } from "./support/players";
import { lumaGrid, renderFrame, type FakeVideoName } from "./support/fakeVideo";

const COLS = 8;
const ROWS = 6;

interface CameraSample {
  videoWidth: number;
  videoHeight: number;
  audioTracks: number;
  grid: number[];
}

/** In the page: open the camera, play it in a <video>, draw one frame, return its luma grid. */
async function sampleCamera(player: Player): Promise<CameraSample> {
  return player.page.evaluate(
    async ({ cols, rows }) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      const video = document.createElement("video");
      video.muted = true;
      video.playsInline = true;
      video.srcObject = stream;
      await video.play();
      // Let a few frames through so we do not sample a half-initialised first frame.
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => video.requestVideoFrameCallback(() => resolve()));
      }
      const { videoWidth: w, videoHeight: h } = video;
      const canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      if (!ctx) throw new Error("no 2d context");
      ctx.drawImage(video, 0, 0, w, h);
      const { data } = ctx.getImageData(0, 0, w, h);
      const sums = new Array<number>(cols * rows).fill(0);
      const counts = new Array<number>(cols * rows).fill(0);
      for (let y = 0; y < h; y++) {
        const row = Math.min(Math.floor((y * rows) / h), rows - 1);
        for (let x = 0; x < w; x++) {
          const col = Math.min(Math.floor((x * cols) / w), cols - 1);
          const i = (y * w + x) * 4;
          const cell = row * cols + col;
          sums[cell] = (sums[cell] ?? 0) + 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0);
          counts[cell] = (counts[cell] ?? 0) + 1;
        }
      }
      const audioTracks = stream.getAudioTracks().length;
      stream.getTracks().forEach((t) => t.stop());
      return {
        videoWidth: w,
        videoHeight: h,
        audioTracks,
        grid: sums.map((s, i) => s / Math.max(counts[i] ?? 0, 1)),
      };
    },
    { cols: COLS, rows: ROWS },
  );
}

function meanAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((sum, v, i) => sum + Math.abs(v - (b[i] ?? 0)), 0) / a.length;
}

function expectedGrid(name: FakeVideoName): number[] {
  return lumaGrid(renderFrame(name).frame, COLS, ROWS);
}

test("the app answers its health check", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.ok()).toBe(true);
});

test("each player sees its own fake camera video", async ({ players }) => {
  const alice = await players.launch({ name: "alice", video: "messi5" });
  const bob = await players.launch({ name: "bob", video: "astronaut" });

  const samples: CameraSample[] = [];
  for (const player of [alice, bob]) {
    const res = await player.page.goto("/");
    expect(res?.ok(), `GET / for ${player.name}`).toBe(true);
    samples.push(await sampleCamera(player));
  }
  const [a, b] = samples as [CameraSample, CameraSample];

  for (const s of [a, b]) {
    expect(s.videoWidth).toBe(640);
    expect(s.videoHeight).toBe(480);
    expect(s.audioTracks).toBe(1);
  }

  const messi = expectedGrid("messi5");
  const astronaut = expectedGrid("astronaut");
  const aToOwn = meanAbsDiff(a.grid, messi);
  const bToOwn = meanAbsDiff(b.grid, astronaut);
  // Each camera shows its own picture, with the right brightness (colour range read as written)...
  expect(aToOwn, "alice's camera vs messi5").toBeLessThan(6);
  expect(bToOwn, "bob's camera vs astronaut").toBeLessThan(6);
  // ...and the two players' pictures really differ.
  expect(meanAbsDiff(a.grid, b.grid), "alice vs bob").toBeGreaterThan(20);
  expect(meanAbsDiff(a.grid, astronaut)).toBeGreaterThan(aToOwn * 3);
  expect(meanAbsDiff(b.grid, messi)).toBeGreaterThan(bToOwn * 3);
});
