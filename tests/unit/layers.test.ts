// The code's layers point one way (README, "How it is built"): core/ is pure and imports no
// adapter; the vision pipeline serves the game and the lobby but never reaches up into them.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => /\.tsx?$/.test(name))
    .map((name) => join(folder, name));
}

/** Every module a file imports, as a path from the repository root (packages as they are written). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/(?:import|export)[^"';]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((match) => {
    const spec = (match[1] ?? match[2])!;
    if (spec.startsWith("@/")) return spec.slice(2);
    if (spec.startsWith(".")) return relative(root, resolve(root, dirname(file), spec));
    return spec;
  });
}

function crossings(folder: string, forbidden: RegExp): string[] {
  return sourceFiles(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.test(target))
      .map((target) => `${file} -> ${target}`),
  );
}

describe("layers", () => {
  it("reads imports of every kind", () => {
    expect(importsOf("client/vision/inferenceLoop.ts")).toContain("core/game/copyRound");
  });

  it("core/ imports no adapter, component or page", () => {
    expect(crossings("core", /^(server|client|components|app)\//)).toEqual([]);
  });

  // The game's and the lobby's sessions run in unit tests without React or a browser; components draw them.
  it("client/game/ and client/lobby/ import no React, component or page", () => {
    const view = /^(react|react-dom)(\/|$)|^(components|app)\//;
    expect(["client/game", "client/lobby"].flatMap((folder) => crossings(folder, view))).toEqual([]);
  });

  it("client/vision/ never imports the game or the lobby", () => {
    expect(crossings("client/vision", /^(client\/game|client\/lobby|components|app)\//)).toEqual([]);
  });

  it("the game session and the call controller run without React (unit-tested in Node; React only subscribes)", () => {
    const controllers = ["client/game/gameSession.ts", "client/call/callController.ts"];
    const reactImports = controllers.flatMap((file) =>
      importsOf(file)
        .filter((target) => /^(react|react-dom)(\/|$)|^(components|app)\//.test(target))
        .map((target) => `${file} -> ${target}`),
    );
    expect(reactImports).toEqual([]);
  });
});
