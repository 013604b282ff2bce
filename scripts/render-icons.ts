/**
 * Renders public/icons/icon.svg to the PNG sizes the web app manifest and
 * iOS need, with Debian's Chromium. The PNGs are committed; rerun after
 * changing the SVG: `npx tsx scripts/render-icons.ts`.
 */
import { readFile } from "node:fs/promises";
import { chromium } from "@playwright/test";

const svg = await readFile("public/icons/icon.svg", "utf8");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const targets = [
  { file: "public/icons/icon-192.png", size: 192, padding: 0 },
  { file: "public/icons/icon-512.png", size: 512, padding: 0 },
  // Maskable icons are cropped to a circle by some launchers: keep the figure inside the safe zone.
  { file: "public/icons/icon-maskable-512.png", size: 512, padding: 0.1 },
];
for (const { file, size, padding } of targets) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  const inset = Math.round(size * padding);
  await page.setContent(
    `<body style="margin:0;background:#1b1033"><div style="padding:${inset}px;width:${size - 2 * inset}px;height:${size - 2 * inset}px">${svg.replace("<svg ", `<svg width="${size - 2 * inset}" height="${size - 2 * inset}" `)}</div></body>`,
  );
  await page.screenshot({ path: file, omitBackground: false });
  await page.close();
  console.log(`wrote ${file}`);
}
await browser.close();
