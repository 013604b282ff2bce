/**
 * client/vision/usageLogging.ts relies on the minified field names of the tasks-vision build the
 * project pins. These checks read the installed bundle itself: if an upgrade renames the fields,
 * they fail here rather than letting the usage logs go out (or hit the CSP) unnoticed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stopUsageLogging } from "@/client/vision/usageLogging";

const root = path.resolve(__dirname, "../..");
const bundle = readFileSync(path.join(root, "node_modules/@mediapipe/tasks-vision/vision_bundle.mjs"), "utf8");
const version = (JSON.parse(readFileSync(path.join(root, "node_modules/@mediapipe/tasks-vision/package.json"), "utf8")) as { version: string }).version;

describe("tasks-vision usage logging", () => {
  it("is the pinned 1.1.0 build, whose only network call of its own is the usage log", () => {
    expect(version).toBe("1.1.0");
    expect(bundle.match(/https:\/\/[a-z0-9.-]+\.googleapis\.com\/v1\/log/g)).toEqual(["https://odml.pa.googleapis.com/v1/log"]);
  });

  it("keeps the logger where stopUsageLogging looks: task.o (logger) -> .m (sender: i queue, h timer, error flag)", () => {
    // Every task gets a logger as `t.o = new <Logger>(...)` right after it is created...
    expect(bundle).toMatch(/t\.o=new [A-Za-z$]{1,3}\(t\.D\(\),e,r\)/);
    // ...whose sender is `this.m`, with its queue `i`, its minute timer `h`...
    const sender = /this\.m=new ([A-Za-z$]{1,3})\(r\)/.exec(bundle)?.[1];
    expect(sender).toBeTruthy();
    const senderClass = new RegExp(
      `${sender!.replace("$", "\\$")}=class\\{constructor\\(t\\)\\{this\\.i=\\[\\],[^}]*this\\.h=setInterval\\(\\(\\)=>\\{this\\.flush\\(\\)\\},6e4\\)`,
    );
    expect(bundle).toMatch(senderClass);
    // ...which sends nothing once `error` is set, and queues nothing either.
    expect(bundle).toContain('flush(t,e){if(this.error)e?.("net-send-failed");else');
    expect(bundle).toContain("(t=t.m).error||t.i.push(e)");
  });

  it("puts a logger of that shape in its off state, and leaves anything else alone", () => {
    let flushed = 0;
    const timer = setInterval(() => undefined, 60_000);
    const sender = { i: ["event"], h: timer as ReturnType<typeof setInterval> | undefined, error: undefined as Error | undefined, flush: () => flushed++ };
    expect(stopUsageLogging({ o: { m: sender } })).toBe(true);
    expect(sender).toMatchObject({ i: [], h: undefined });
    expect(sender.error).toBeInstanceOf(Error);
    expect(flushed).toBe(0);
    expect(stopUsageLogging({})).toBe(false);
    expect(stopUsageLogging({ o: { m: { queue: [] } } })).toBe(false);
  });
});
