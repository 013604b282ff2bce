/**
 * Reduced motion (issue 25): follows the system's prefers-reduced-motion until the player sets it
 * by hand, then remembers that choice like mute (localStorage, every room and visit). The
 * resolved value goes on <html data-motion="reduce|full">, which the stylesheet keys on: no
 * confetti, no rising podium, no pulsing or popping.
 */
import { useCallback, useSyncExternalStore } from "react";

export const MOTION_STORAGE_KEY = "poseparty.motion";
type Choice = "reduce" | "full";
const SYSTEM_QUERY = "(prefers-reduced-motion: reduce)";

const listeners = new Set<() => void>();

function storedChoice(): Choice | null {
  try {
    const value = window.localStorage.getItem(MOTION_STORAGE_KEY);
    return value === "reduce" || value === "full" ? value : null;
  } catch {
    return null;
  }
}

/** Whether this page shows reduced motion now: the player's choice, else the system's. */
export function prefersReducedMotion(): boolean {
  if (typeof window === "undefined") return false;
  const choice = storedChoice();
  return choice ? choice === "reduce" : window.matchMedia(SYSTEM_QUERY).matches;
}

function apply(): void {
  document.documentElement.dataset.motion = prefersReducedMotion() ? "reduce" : "full";
  for (const listener of [...listeners]) listener();
}

export function setReducedMotion(reduce: boolean): void {
  try {
    window.localStorage.setItem(MOTION_STORAGE_KEY, reduce ? "reduce" : "full");
  } catch {
    // Not persisted (private mode): still applies to this page.
    document.documentElement.dataset.motion = reduce ? "reduce" : "full";
    for (const listener of [...listeners]) listener();
    return;
  }
  apply();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const system = window.matchMedia(SYSTEM_QUERY);
  const onChange = () => apply();
  system.addEventListener("change", onChange);
  // Another tab changed the choice.
  const onStorage = (event: StorageEvent) => {
    if (event.key === MOTION_STORAGE_KEY) apply();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    system.removeEventListener("change", onChange);
    window.removeEventListener("storage", onStorage);
  };
}

const currentMotion = () => document.documentElement.dataset.motion === "reduce";

/** The resolved setting and its setter, for a settings switch. */
export function useReducedMotion(): [boolean, (reduce: boolean) => void] {
  const reduced = useSyncExternalStore(subscribe, currentMotion, () => false);
  return [reduced, useCallback((reduce: boolean) => setReducedMotion(reduce), [])];
}

/** Once per page: puts the resolved setting on <html> and keeps it there. */
export function applyMotionPreference(): () => void {
  apply();
  return subscribe(() => undefined);
}
