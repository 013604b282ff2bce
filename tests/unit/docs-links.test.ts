// Every relative link in README.md and docs/ leads to a file or folder that exists: the README
// sends a newcomer into docs/ for everything past the first steps, so a moved file must not
// leave a dead link behind.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const documents = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Inline links and images, `[text](target)`, outside code spans and fenced blocks. */
function relativeTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  const targets: string[] = [];
  for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
    targets.push(target.split("#")[0]!);
  }
  return targets;
}

describe("links in the README and docs/", () => {
  it("finds the documents and links to check", () => {
    expect(documents).toContain("README.md");
    expect(documents.length).toBeGreaterThan(5);
    expect(relativeTargets("see [a](docs/a.md#x), [b](https://x.y), [c](#top), `[d](no.md)`")).toEqual(["docs/a.md"]);
  });

  it.each(documents)("%s: every relative link resolves", (document) => {
    const text = readFileSync(join(root, document), "utf8");
    const dead = relativeTargets(text).filter((target) => !existsSync(resolve(dirname(join(root, document)), decodeURIComponent(target))));
    expect(dead).toEqual([]);
  });
});
