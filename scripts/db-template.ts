// `npm run db:template` (run by postinstall): initialises the embedded database's template data
// dir once, so that a server's first start on a new DATA_DIR copies it instead of running
// PostgreSQL's initdb in its own process (server/storage/embeddedPostgres.ts). Skips the work
// when the template for the installed PGlite version is already there.
import { existsSync } from "node:fs";
import path from "node:path";
import { embeddedTemplateDir, makeEmbeddedTemplate } from "../server/storage/embeddedPostgres";

const target = embeddedTemplateDir();
if (existsSync(path.join(target, "PG_VERSION")) && !process.argv.includes("--force")) {
  console.log(`db:template: ${path.relative(process.cwd(), target)} is already there`);
} else {
  const began = performance.now();
  await makeEmbeddedTemplate(target);
  console.log(`db:template: initialised ${path.relative(process.cwd(), target)} in ${Math.round(performance.now() - began)} ms`);
}
