/**
 * Well-formed text at the boundary. A JavaScript string may hold an unpaired UTF-16 surrogate
 * (JSON's "\ud800" escape decodes to one); UTF-8, PostgreSQL and most renderers cannot
 * represent it, so one such character in a nickname once failed a whole match's save. Every
 * string that arrives from outside (socket payloads, HTTP bodies) passes through
 * `wellFormedDeep`, which replaces each unpaired surrogate with U+FFFD, as
 * `String.prototype.toWellFormed` does. Replaced, not refused: a browser can produce one
 * innocently (an input cut in the middle of an emoji, a paste), and one odd character should not
 * cost a player its join; strings with a format (room codes, tokens, ids) are still checked
 * against it afterwards.
 */

/** With the `u` flag, a surrogate matches \p{Cs} only when it is not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

export const REPLACEMENT_CHARACTER = "\uFFFD";

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** `text.toWellFormed()`, also where the runtime (an older browser) lacks it. */
export function toWellFormedText(text: string): string {
  return isWellFormedText(text) ? text : text.replace(LONE_SURROGATES, REPLACEMENT_CHARACTER);
}

/**
 * The same JSON-like value with every string (object keys included) well-formed. A plain object
 * or array that holds a string to fix is copied (objects through Object.fromEntries, so an own
 * "__proto__" key stays an own key for the strict schemas to refuse); one that needs no fix is
 * returned as it is (this runs for every meter sample), and so is anything else.
 */
export function wellFormedDeep<T>(value: T): T {
  return fix(value) as T;
}

function fix(value: unknown): unknown {
  if (typeof value === "string") return toWellFormedText(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let index = 0; index < value.length; index++) {
      const inner: unknown = value[index];
      const fixed = fix(inner);
      if (fixed !== inner) (copy ??= value.slice())[index] = fixed;
    }
    return copy ?? value;
  }
  if (value !== null && typeof value === "object") {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value;
    const entries: [string, unknown][] = Object.entries(value);
    let changed = false;
    for (const entry of entries) {
      const [key, inner] = entry;
      const fixedKey = toWellFormedText(key);
      const fixed = fix(inner);
      if (fixedKey !== key || fixed !== inner) {
        entry[0] = fixedKey;
        entry[1] = fixed;
        changed = true;
      }
    }
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}
