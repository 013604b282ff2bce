import { describe, expect, it } from "vitest";
import { ROOM_CODE_ALPHABET, ROOM_CODE_BITS, ROOM_CODE_LENGTH, generateRoomCode, normalizeRoomCode } from "@/core/roomCode";

describe("room codes", () => {
  it("carry at least 30 bits and avoid look-alike characters", () => {
    expect(ROOM_CODE_BITS).toBeGreaterThanOrEqual(30);
    for (const lookAlike of "01ILO") expect(ROOM_CODE_ALPHABET).not.toContain(lookAlike);
  });

  it("are made only of the alphabet, with the right length", () => {
    for (let i = 0; i < 500; i++) {
      const code = generateRoomCode();
      expect(code).toHaveLength(ROOM_CODE_LENGTH);
      expect([...code].every((char) => ROOM_CODE_ALPHABET.includes(char))).toBe(true);
    }
  });

  it("are unbiased: every symbol shows up about equally often", () => {
    const counts = new Map<string, number>();
    const samples = 4000;
    for (let i = 0; i < samples; i++) for (const char of generateRoomCode()) counts.set(char, (counts.get(char) ?? 0) + 1);
    const expected = (samples * ROOM_CODE_LENGTH) / ROOM_CODE_ALPHABET.length;
    expect(counts.size).toBe(ROOM_CODE_ALPHABET.length);
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.15);
  });

  it("reject biased bytes instead of folding them onto the first letters", () => {
    // 248..255 would map onto the first 8 symbols with a plain modulo; they must be skipped.
    let call = 0;
    const code = generateRoomCode((bytes) => {
      bytes.fill(call++ === 0 ? 255 : 1);
    });
    expect(code).toBe(ROOM_CODE_ALPHABET[1]!.repeat(ROOM_CODE_LENGTH));
  });

  it("are entered case-insensitively, ignoring spaces and dashes", () => {
    expect(normalizeRoomCode("abc-d efg".replace("abc", "abc"))).toBe("ABCDEFG");
    expect(normalizeRoomCode(" xyz2345 ")).toBe("XYZ2345");
  });

  it("reject wrong lengths and characters outside the alphabet", () => {
    expect(normalizeRoomCode("ABCDEF")).toBeNull();
    expect(normalizeRoomCode("ABCDEFGH")).toBeNull();
    expect(normalizeRoomCode("ABCDEF0")).toBeNull();
    expect(normalizeRoomCode("ABCDEFO")).toBeNull();
    expect(normalizeRoomCode("ABC<EF>")).toBeNull();
  });
});
