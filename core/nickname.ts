/** Nickname rules shared by the home page (instant feedback) and the room machine (the authority). */
export const NICKNAME_MAX_LENGTH = 20;

export type NicknameCheck =
  | { ok: true; nickname: string }
  | { ok: false; code: "nickname_empty" | "nickname_too_long" };

// Control and formatting characters (incl. bidi overrides) would let one name disguise another.
const INVISIBLE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** Length in user-perceived characters, so "민지" counts 2 and an emoji flag counts 1. */
export function visibleLength(text: string): number {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

export function checkNickname(raw: string): NicknameCheck {
  const nickname = raw.replace(INVISIBLE_CHARACTERS, "").replace(/\s+/g, " ").trim();
  if (nickname.length === 0) return { ok: false, code: "nickname_empty" };
  if (visibleLength(nickname) > NICKNAME_MAX_LENGTH) return { ok: false, code: "nickname_too_long" };
  return { ok: true, nickname };
}

function truncateToVisibleLength(text: string, maxLength: number): string {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  let result = "";
  let count = 0;
  for (const { segment } of segmenter.segment(text)) {
    if (count === maxLength) break;
    result += segment;
    count++;
  }
  return result.trimEnd();
}

/** "Mina" joining a room that has "Mina" becomes "Mina 2" (then "Mina 3"), still within the length cap. */
export function makeNicknameUnique(nickname: string, taken: Iterable<string>): string {
  const takenLower = new Set([...taken].map((name) => name.toLocaleLowerCase()));
  if (!takenLower.has(nickname.toLocaleLowerCase())) return nickname;
  for (let suffix = 2; ; suffix++) {
    const tail = ` ${suffix}`;
    const candidate = truncateToVisibleLength(nickname, NICKNAME_MAX_LENGTH - tail.length) + tail;
    if (!takenLower.has(candidate.toLocaleLowerCase())) return candidate;
  }
}
