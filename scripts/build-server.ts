// `npm run build:server` (part of `npm run build`): bundles the custom server (server/main.ts and
// everything it imports from this repository) into dist/server/main.mjs, run by plain `node` in
// production. Running the TypeScript through tsx instead costs ~75 MiB of resident memory (its
// loader thread and esbuild's) and about a second of CPU at every start (bench/README.md,
// "Memory"). npm packages stay external: node_modules is loaded as it is.
//
// The bundle must sit two folders below the repository root, like the server's own files
// (server/storage/*.ts): the paths they resolve from import.meta.url (prisma/migrations, the
// generated Prisma client, node_modules/.cache) then stay right.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export async function bundleServer(entry: string, outfile: string): Promise<void> {
  const depth = path.relative(ROOT, path.dirname(path.resolve(ROOT, outfile))).split(path.sep).length;
  if (depth !== 2) throw new Error(`${outfile}: a server bundle must be two folders below the repository root`);
  await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // Prisma's generated client is CommonJS that finds its files next to itself: load it from there.
    external: ["../../prisma/generated/*"],
    sourcemap: "linked",
    logLevel: "warning",
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const began = performance.now();
  await bundleServer("server/main.ts", "dist/server/main.mjs");
  console.log(`build:server: dist/server/main.mjs in ${Math.round(performance.now() - began)} ms`);
}
