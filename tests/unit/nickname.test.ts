import { describe, expect, it } from "vitest";
import { checkNickname, makeNicknameUnique, visibleLength } from "@/core/nickname";

describe("nicknames", () => {
  it("are trimmed and inner whitespace collapsed", () => {
    expect(checkNickname("  Mina   Kim ")).toEqual({ ok: true, nickname: "Mina Kim" });
  });

  it("must not be empty, even after removing invisible characters", () => {
    expect(checkNickname("   ")).toEqual({ ok: false, code: "nickname_empty" });
    expect(checkNickname("\u200b\u202e")).toEqual({ ok: false, code: "nickname_empty" });
  });

  it("allow 20 visible characters, counting Korean and emoji as one each", () => {
    expect(checkNickname("가".repeat(20)).ok).toBe(true);
    expect(checkNickname("가".repeat(21))).toEqual({ ok: false, code: "nickname_too_long" });
    expect(visibleLength("👍🏽👍🏽")).toBe(2);
  });

  it("strip bidi overrides that would disguise a name", () => {
    expect(checkNickname("Mi\u202Ena")).toEqual({ ok: true, nickname: "Mina" });
  });

  it("count names that render blank as empty: Hangul and Braille fillers", () => {
    for (const blank of ["\u3164", "\u2800\u2800", "\u115F\u1160", "\uFFA0", "\u3164 \u2800", "\u00AD\u034F\u180E\uFEFF", "\u{E0041}"]) {
      expect(checkNickname(blank), JSON.stringify(blank)).toEqual({ ok: false, code: "nickname_empty" });
    }
    expect(checkNickname("Mina\u3164")).toEqual({ ok: true, nickname: "Mina" });
  });

  it("replace a lone surrogate instead of keeping an unstorable name", () => {
    expect(checkNickname("a\uD800b")).toEqual({ ok: true, nickname: "a\uFFFDb" });
    expect(checkNickname("\uDC00")).toEqual({ ok: true, nickname: "\uFFFD" });
  });

  it("count graphemes: a family emoji stays one emoji with its joiners, and so do flags and keycaps", () => {
    const family = "👨‍👩‍👧‍👦";
    const toned = "👨🏻‍👩🏻‍👧🏻‍👦🏻";
    const scotland = "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
    for (const emoji of [family, toned, scotland, "🇰🇷", "1️⃣", "❤️", "🏳️‍🌈"]) {
      expect(checkNickname(emoji), emoji).toEqual({ ok: true, nickname: emoji });
      expect(visibleLength(emoji), emoji).toBe(1);
    }
    expect(checkNickname(family.repeat(20))).toEqual({ ok: true, nickname: family.repeat(20) });
    expect(checkNickname(family.repeat(21))).toEqual({ ok: false, code: "nickname_too_long" });
    // A joiner that joins no emoji is invisible, and so disguises a name: removed.
    expect(checkNickname("Mi\u200Dna")).toEqual({ ok: true, nickname: "Mina" });
    expect(checkNickname("😀\u200D")).toEqual({ ok: true, nickname: "😀" });
  });

  it("keep markup as plain text", () => {
    expect(checkNickname("<b>x</b>")).toEqual({ ok: true, nickname: "<b>x</b>" });
  });

  it("get a numeric suffix when taken, staying within 20 characters", () => {
    expect(makeNicknameUnique("Jun", ["Mina"])).toBe("Jun");
    expect(makeNicknameUnique("Jun", ["jun", "Jun 2"])).toBe("Jun 3");
    const long = "a".repeat(20);
    const unique = makeNicknameUnique(long, [long]);
    expect(unique).toBe(`${"a".repeat(18)} 2`);
    expect(visibleLength(unique)).toBeLessThanOrEqual(20);
  });
});
