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
