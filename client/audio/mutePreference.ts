/**
 * The remembered mute switch, independent of any audio library so it can be tested with a fake
 * storage. Storage is looked up lazily (never at import: server rendering imports this) and
 * every access is guarded: Safari's private mode and locked-down browsers throw on localStorage.
 */

export const MUTED_STORAGE_KEY = "poseparty.muted";

/** The part of the Web Storage API this needs. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type MutedListener = (muted: boolean) => void;

export interface MutePreference {
  isMuted(): boolean;
  setMuted(muted: boolean): void;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: MutedListener): () => void;
  /** Re-reads storage (e.g. after a `storage` event from another tab). */
  reload(): void;
}

export function createMutePreference(getStorage: () => KeyValueStorage | null | undefined): MutePreference {
  let muted: boolean | null = null; // null: not read yet
  const listeners = new Set<MutedListener>();

  const storage = (): KeyValueStorage | null => {
    try {
      return getStorage() ?? null;
    } catch {
      return null;
    }
  };
  const read = (): boolean => {
    try {
      return storage()?.getItem(MUTED_STORAGE_KEY) === "1";
    } catch {
      return false;
    }
  };
  const update = (next: boolean): void => {
    if (next === muted) return;
    muted = next;
    for (const listener of [...listeners]) listener(next);
  };

  return {
    isMuted() {
      if (muted === null) muted = read();
      return muted;
    },
    setMuted(next) {
      try {
        storage()?.setItem(MUTED_STORAGE_KEY, next ? "1" : "0");
      } catch {
        // Not persisted (quota, private mode): still applies for this visit.
      }
      update(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    reload() {
      if (muted === null) {
        muted = read();
        return;
      }
      update(read());
    },
  };
}
