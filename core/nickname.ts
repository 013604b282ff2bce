/** Nickname rules shared by the home page (instant feedback) and the room machine (the authority). */
import { toWellFormedText } from "./text";

export const NICKNAME_MAX_LENGTH = 20;
/**
 * UTF-16 code units a raw nickname may have at the boundary. The rule itself counts graphemes
 * (20); one grapheme can be long (a family emoji with skin tones is 19 units, a subdivision flag
 * 14), so this only stops absurd input before the rule runs.
 */
export const NICKNAME_MAX_INPUT_UNITS = 512;

export type NicknameCheck = { ok: true; nickname: string } | { ok: false; code: "nickname_empty" | "nickname_too_long" };

// Characters that draw nothing: controls, formatting characters (bidi overrides, zero-width
// joiners and spaces, soft hyphen, tags), every Default_Ignorable_Code_Point (which covers the
// Hangul fillers U+115F, U+1160, U+3164, U+FFA0 and variation selectors) and the blank Braille
// pattern U+2800. A name made only of them would render blank; inside a name they would let one
// name disguise another.
const INVISIBLE_CLASS = "[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Default_Ignorable_Code_Point}\\u2800]";
const INVISIBLE = new RegExp(INVISIBLE_CLASS, "gu");
const IS_INVISIBLE = new RegExp(`^${INVISIBLE_CLASS}$`, "u");
// Graphemes that are (part of) an emoji: pictographs, flags, keycaps (1️⃣).
const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
// What an emoji sequence needs to stay one emoji: variation selectors (emoji/text style) and the
// tag characters of subdivision flags (🏴󠁧󠁢󠁳󠁣󠁴󠁿). The zero-width joiner is kept only right before
// another pictograph (👨‍👩‍👧), never at the edge of a sequence where it would be invisible.
const EMOJI_PART = /^[\uFE0E\uFE0F\u{E0020}-\u{E007F}]$/u;
const ZWJ = "\u200D";

function segmenter(): Intl.Segmenter {
  return new Intl.Segmenter(undefined, { granularity: "grapheme" });
}

/** The name without the characters that draw nothing, emoji sequences kept whole. */
export function removeInvisible(text: string): string {
  let result = "";
  for (const { segment } of segmenter().segment(text)) {
    if (!PICTOGRAPH.test(segment)) {
      result += segment.replace(INVISIBLE, "");
      continue;
    }
    const characters = [...segment];
    result += characters
      .filter((character, index) => {
        if (!IS_INVISIBLE.test(character)) return true;
        if (character === ZWJ) {
          const next = characters[index + 1];
          return index > 0 && next !== undefined && PICTOGRAPH.test(next);
        }
        return EMOJI_PART.test(character);
      })
      .join("");
  }
  return result;
}

/** Length in user-perceived characters (graphemes), so "민지" counts 2 and 👨‍👩‍👧 or a flag counts 1. */
export function visibleLength(text: string): number {
  let count = 0;
  for (const _ of segmenter().segment(text)) count++;
  return count;
}

export function checkNickname(raw: string): NicknameCheck {
  const nickname = removeInvisible(toWellFormedText(raw)).replace(/\s+/g, " ").trim();
  if (nickname.length === 0) return { ok: false, code: "nickname_empty" };
  if (visibleLength(nickname) > NICKNAME_MAX_LENGTH) return { ok: false, code: "nickname_too_long" };
  return { ok: true, nickname };
}

function truncateToVisibleLength(text: string, maxLength: number): string {
  let result = "";
  let count = 0;
  for (const { segment } of segmenter().segment(text)) {
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
