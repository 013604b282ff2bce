/**
 * Room codes: short enough to read aloud, long enough not to be guessed.
 * The alphabet drops the look-alikes 0/O, 1/I/L so a code typed from a
 * friend's screen is not mistyped; 31 symbols x 7 = 34.7 bits of entropy.
 */
export const ROOM_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const ROOM_CODE_LENGTH = 7;
export const ROOM_CODE_BITS = ROOM_CODE_LENGTH * Math.log2(ROOM_CODE_ALPHABET.length);

/** Fills the array with uniformly random bytes (crypto.getRandomValues in both Node and browsers). */
export type RandomBytes = (bytes: Uint8Array) => void;

const defaultRandomBytes: RandomBytes = (bytes) => {
  globalThis.crypto.getRandomValues(bytes);
};

export function generateRoomCode(randomBytes: RandomBytes = defaultRandomBytes): string {
  const alphabetSize = ROOM_CODE_ALPHABET.length;
  // Rejection sampling: bytes >= the largest multiple of 31 below 256 would bias the first letters.
  const unbiasedLimit = 256 - (256 % alphabetSize);
  let code = "";
  const buffer = new Uint8Array(ROOM_CODE_LENGTH * 2);
  while (code.length < ROOM_CODE_LENGTH) {
    randomBytes(buffer);
    for (const byte of buffer) {
      if (byte < unbiasedLimit && code.length < ROOM_CODE_LENGTH) {
        code += ROOM_CODE_ALPHABET[byte % alphabetSize];
      }
    }
  }
  return code;
}

/** Case-insensitive entry; spaces and dashes people add while typing are ignored. */
export function normalizeRoomCode(input: string): string | null {
  const cleaned = input.toUpperCase().replace(/[\s-]/g, "");
  if (cleaned.length !== ROOM_CODE_LENGTH) return null;
  for (const char of cleaned) {
    if (!ROOM_CODE_ALPHABET.includes(char)) return null;
  }
  return cleaned;
}
