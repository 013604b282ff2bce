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
 * The same JSON-like value with every string (object keys included) well-formed. Plain objects
 * and arrays are copied (through Object.fromEntries, so an own "__proto__" key stays an own key
 * for the strict schemas to refuse); anything else is returned as it is.
 */
export function wellFormedDeep<T>(value: T): T {
  return fix(value) as T;
}

function fix(value: unknown): unknown {
  if (typeof value === "string") return toWellFormedText(value);
  if (Array.isArray(value)) return value.map(fix);
  if (value !== null && typeof value === "object") {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [toWellFormedText(key), fix(inner)]));
  }
  return value;
}
