// Best moments (issue 24), the parts without a camera or a server: when the page captures a
// still, what it keeps per match, the sharing setting, the payload's limits, how shared moments
// merge on the page, and which round's figure stands in for a still that was not shared.
import { describe, expect, it } from "vitest";
import { MAX_MOMENT_IMAGE_CHARS, MAX_SOCKET_MESSAGE_BYTES, eventLimits, parseClientPayload } from "@/core/protocol";
import { MOMENT_RULE, shouldCaptureMoment, type MomentMemory } from "@/client/moments/captureRule";
import { BestMomentKeeper } from "@/client/moments/bestMoment";
import { bestRoundIndex } from "@/client/moments/bestRound";
import { applyMoments } from "@/client/moments/momentStore";
import { MOMENT_SHARING_STORAGE_KEY, createSharingPreference } from "@/client/moments/sharingPreference";
import type { KeyValueStorage } from "@/client/audio/mutePreference";

const fresh: MomentMemory = { bestSimilarity: null, lastCaptureAt: null };
const jpeg = (body = "AAAA") => `data:image/jpeg;base64,${body}`;

describe("the capture rule", () => {
  it("captures the first real attempt in a round, never between rounds or below the floor", () => {
    expect(shouldCaptureMoment(fresh, { roundIndex: 0, similarity: 0.6, at: 0 })).toBe(true);
    expect(shouldCaptureMoment(fresh, { roundIndex: null, similarity: 0.9, at: 0 })).toBe(false);
    expect(shouldCaptureMoment(fresh, { roundIndex: 0, similarity: MOMENT_RULE.minSimilarity - 0.01, at: 0 })).toBe(false);
    expect(shouldCaptureMoment(fresh, { roundIndex: 0, similarity: Number.NaN, at: 0 })).toBe(false);
  });

  it("needs a better frame by the margin, and waits minGapMs after a capture", () => {
    const memory: MomentMemory = { bestSimilarity: 0.7, lastCaptureAt: 1_000 };
    const later = 1_000 + MOMENT_RULE.minGapMs;
    expect(shouldCaptureMoment(memory, { roundIndex: 1, similarity: 0.7 + MOMENT_RULE.margin / 2, at: later })).toBe(false);
    expect(shouldCaptureMoment(memory, { roundIndex: 1, similarity: 0.75, at: later - 1 })).toBe(false);
    expect(shouldCaptureMoment(memory, { roundIndex: 1, similarity: 0.75, at: later })).toBe(true);
  });
});

describe("the best-moment keeper", () => {
  function keeper(options: { mayCapture?: () => boolean; capture?: () => string | null } = {}) {
    const clock = { now: 0 };
    let captures = 0;
    const kept = new BestMomentKeeper({
      now: () => clock.now,
      mayCapture: options.mayCapture ?? (() => true),
      capture: () => {
        captures += 1;
        return options.capture ? options.capture() : jpeg(`A${captures}`);
      },
    });
    return { kept, clock, captures: () => captures };
  }

  it("keeps the best frame of the match, throttled, and starts over with the next match", () => {
    const { kept, clock, captures } = keeper();
    kept.frame({ roundIndex: 0, similarity: 0.6 }, 1);
    clock.now = 100;
    kept.frame({ roundIndex: 0, similarity: 0.9 }, 1); // better, but too soon after the last capture
    expect(captures()).toBe(1);
    expect(kept.keptFor(1)).toMatchObject({ roundIndex: 0, similarity: 0.6, image: jpeg("A1") });
    clock.now = 700;
    kept.frame({ roundIndex: 1, similarity: 0.85 }, 1);
    clock.now = 1_400;
    kept.frame({ roundIndex: 1, similarity: 0.8 }, 1); // worse: nothing drawn
    expect(captures()).toBe(2);
    expect(kept.keptFor(1)).toMatchObject({ roundIndex: 1, similarity: 0.85, image: jpeg("A2") });
    expect(kept.keptFor(2)).toBeNull();
    kept.frame({ roundIndex: 0, similarity: 0.5 }, 2);
    expect(kept.keptFor(1)).toBeNull();
    expect(kept.keptFor(2)).toMatchObject({ similarity: 0.5 });
  });

  it("captures nothing while sharing is off or the camera is off in the call, or without a picture", () => {
    const off = keeper({ mayCapture: () => false });
    off.kept.frame({ roundIndex: 0, similarity: 0.95 }, 1);
    expect(off.captures()).toBe(0);
    expect(off.kept.keptFor(1)).toBeNull();
    const blank = keeper({ capture: () => null });
    blank.kept.frame({ roundIndex: 0, similarity: 0.95 }, 1);
    expect(blank.kept.keptFor(1)).toBeNull();
    expect(() => blank.kept.frame({ roundIndex: 0, similarity: 0.95 }, null)).not.toThrow();
  });
});

describe("the sharing setting", () => {
  function memoryStorage(initial: Record<string, string> = {}): KeyValueStorage & { values: Record<string, string> } {
    const values = { ...initial };
    return { values, getItem: (key) => values[key] ?? null, setItem: (key, value) => void (values[key] = value) };
  }

  it("is on by default, remembers off and on, and tells its listeners", () => {
    const storage = memoryStorage();
    const preference = createSharingPreference(() => storage);
    expect(preference.isSharing()).toBe(true);
    const seen: boolean[] = [];
    preference.subscribe(() => seen.push(preference.isSharing()));
    preference.setSharing(false);
    expect(storage.values[MOMENT_SHARING_STORAGE_KEY]).toBe("0");
    expect(createSharingPreference(() => storage).isSharing()).toBe(false);
    preference.setSharing(true);
    expect(seen).toEqual([false, true]);
  });

  it("survives storage that is missing or throws, and re-reads another tab's change", () => {
    expect(createSharingPreference(() => null).isSharing()).toBe(true);
    const throwing: KeyValueStorage = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
    };
    const preference = createSharingPreference(() => throwing);
    expect(preference.isSharing()).toBe(true);
    preference.setSharing(false);
    expect(preference.isSharing()).toBe(false);

    const storage = memoryStorage({ [MOMENT_SHARING_STORAGE_KEY]: "1" });
    const shared = createSharingPreference(() => storage);
    expect(shared.isSharing()).toBe(true);
    storage.values[MOMENT_SHARING_STORAGE_KEY] = "0";
    shared.reload();
    expect(shared.isSharing()).toBe(false);
  });
});

describe("the moment payload", () => {
  it("takes a JPEG or WebP data URL up to the cap, or null, and nothing else", () => {
    expect(parseClientPayload("game:moment", { image: jpeg() }).ok).toBe(true);
    expect(parseClientPayload("game:moment", { image: "data:image/webp;base64,UklGRg==" }).ok).toBe(true);
    expect(parseClientPayload("game:moment", { image: null }).ok).toBe(true);
    for (const image of [
      "data:image/png;base64,AAAA",
      "data:image/svg+xml;base64,PHN2Zz4=",
      "https://example.com/me.jpg",
      "data:image/jpeg;base64,AA AA",
      jpeg("A".repeat(MAX_MOMENT_IMAGE_CHARS)),
      42,
    ]) {
      const parsed = parseClientPayload("game:moment", { image });
      expect(parsed.ok, String(image).slice(0, 40)).toBe(false);
      // The refusal never quotes the input (it is logged).
      if (!parsed.ok) expect(parsed.message).not.toContain("AAAA");
    }
    expect(parseClientPayload("game:moment", { image: jpeg(), extra: 1 }).ok).toBe(false);
  });

  it("fits one socket message with room to spare", () => {
    const limit = eventLimits("game:moment").maxPayloadBytes ?? 0;
    expect(JSON.stringify({ image: jpeg("A".repeat(MAX_MOMENT_IMAGE_CHARS - jpeg("").length)) }).length).toBeLessThanOrEqual(limit);
    expect(limit).toBeLessThan(MAX_SOCKET_MESSAGE_BYTES - 1_024);
  });
});

describe("shared moments on the page", () => {
  it("merges a match's moments, withdraws on null, and starts over for another match", () => {
    let state = applyMoments({ matchId: null, images: {} }, { matchId: "m1", moments: [{ playerId: "a", image: jpeg("A") }] });
    state = applyMoments(state, { matchId: "m1", moments: [{ playerId: "b", image: jpeg("B") }] });
    expect(state).toEqual({ matchId: "m1", images: { a: jpeg("A"), b: jpeg("B") } });
    state = applyMoments(state, { matchId: "m1", moments: [{ playerId: "a", image: null }] });
    expect(state.images).toEqual({ b: jpeg("B") });
    state = applyMoments(state, { matchId: "m2", moments: [{ playerId: "c", image: jpeg("C") }] });
    expect(state).toEqual({ matchId: "m2", images: { c: jpeg("C") } });
  });
});

describe("the stand-in figure's round", () => {
  it("is the round with the most points, the earlier on a tie, the first when nothing scored", () => {
    expect(
      bestRoundIndex([
        { roundIndex: 0, points: 300 },
        { roundIndex: 1, points: 900 },
        { roundIndex: 2, points: 900 },
      ]),
    ).toBe(1);
    expect(bestRoundIndex([{ roundIndex: 1, points: 0 }])).toBe(1);
    expect(bestRoundIndex([])).toBe(0);
  });
});
