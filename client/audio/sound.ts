/**
 * Game sound for the browser: effects, the looping background music and the remembered mute
 * switch, on top of howler (Web Audio). Nothing runs at import: server rendering imports the
 * components that import this. howler itself is loaded on demand (its own chunk), by
 * loadSounds() in the lobby (its own bar there) or by unlockAudioOnFirstTap().
 *
 * Typical use: unlockAudioOnFirstTap() when the room screen mounts (so Start, Join or any lobby
 * tap unlocks); loadSounds() in the lobby, so every sound is decoded before the 3-2-1;
 * playEffect("tick") etc.; startMusic()/stopMusic() around the rounds.
 */
import type { Howl as HowlInstance, HowlerGlobal } from "howler";
import { EFFECT_NAMES, SOUND_MANIFEST_URL, parseSoundManifest, type EffectName, type SoundEntry } from "./manifest";
import { MUTED_STORAGE_KEY, createMutePreference, type MutePreference, type MutedListener } from "./mutePreference";

export type { EffectName } from "./manifest";

type HowlerModule = typeof import("howler");

/** Music sits under the effects and the players' voices. */
const MUSIC_VOLUME = 0.4;
const MUSIC_FADE_IN_MS = 800;
const MUSIC_FADE_OUT_MS = 600;
const EFFECT_VOLUME: Record<EffectName, number> = {
  tick: 0.8,
  go: 1,
  perfect: 1,
  good: 0.9,
  "round-end": 0.9,
  winner: 1,
};
/** The events that count as a user gesture for audio in iOS Safari, Android Chrome and desktops. */
const GESTURE_EVENTS = ["pointerdown", "pointerup", "touchend", "click", "keydown"] as const;

interface LoadedSounds {
  effects: Map<EffectName, HowlInstance>;
  music: HowlInstance | null;
}

let howlerLib: HowlerModule | null = null;
let howlerLoading: Promise<HowlerModule> | null = null;
let loading: Promise<boolean> | null = null;
let loaded: LoadedSounds | null = null;
let musicWanted = false;
let musicId: number | null = null;
let musicStopTimer: ReturnType<typeof setTimeout> | null = null;
let unlockListening = false;
let visibilityHooked = false;
let storageHooked = false;
let preferenceInstance: MutePreference | null = null;

/** Where the sounds' loading stands, for the lobby's bar (bytes of the files decoded so far). */
export interface SoundLoadState {
  stage: "idle" | "loading" | "ready" | "unavailable";
  loadedBytes: number;
  totalBytes: number;
  /** The AudioContext's state ("none" before howler made one): "running" once unlocked. */
  audio: AudioContextState | "none";
}
let loadState: SoundLoadState = { stage: "idle", loadedBytes: 0, totalBytes: 0, audio: "none" };
const loadListeners = new Set<(state: SoundLoadState) => void>();

function setLoadState(change: Partial<SoundLoadState>): void {
  loadState = { ...loadState, ...change, audio: audioContext()?.state ?? "none" };
  exportSoundDebug();
  for (const listener of [...loadListeners]) listener(loadState);
}

export function soundLoadState(): SoundLoadState {
  return loadState;
}

/** Calls `listener` on every change of the load state or of the AudioContext's state. */
export function subscribeSoundLoad(listener: (state: SoundLoadState) => void): () => void {
  loadListeners.add(listener);
  return () => {
    loadListeners.delete(listener);
  };
}

/** Effects asked for, for tests: whether each one really started playing. At most 50 kept. */
const playedLog: { name: EffectName; at: number; playing: boolean }[] = [];

/**
 * `window.__poseparty.sound`, for end-to-end tests: the load state, the AudioContext's state and
 * the effects played. Plain data; other keys of `__poseparty` are kept.
 */
function exportSoundDebug(): void {
  if (!inBrowser()) return;
  const scope = window as unknown as { __poseparty?: Record<string, unknown> };
  scope.__poseparty = { ...(scope.__poseparty ?? {}), sound: { ...loadState, played: [...playedLog] } };
}

function inBrowser(): boolean {
  return typeof window !== "undefined" && typeof document !== "undefined";
}

function preference(): MutePreference {
  if (!preferenceInstance) {
    preferenceInstance = createMutePreference(() => (inBrowser() ? window.localStorage : null));
    preferenceInstance.subscribe(applyMuted);
  }
  return preferenceInstance;
}

/** The AudioContext, if howler has made one (its typings claim it always exists; it does not). */
function audioContext(): AudioContext | null {
  return (howlerLib?.Howler.ctx as AudioContext | null | undefined) ?? null;
}

function applyMuted(muted: boolean): void {
  // Howler.mute() creates the AudioContext when there is none; until then the flag is applied
  // by loadSounds()/the unlock handler, right before howler needs a context anyway.
  if (howlerLib && audioContext()) howlerLib.Howler.mute(muted);
}

function loadHowler(): Promise<HowlerModule> {
  howlerLoading ??= import("howler").then((mod) => {
    // CommonJS interop: bundlers expose the exports either as named exports or as `default`.
    const lib = (mod as HowlerModule & { default?: HowlerModule }).Howl ? mod : (mod as { default: HowlerModule }).default;
    const howler: HowlerGlobal = lib.Howler;
    // We unlock explicitly (below). Howler's own unlocker also recreates the AudioContext when
    // its sample rate is not 44.1 kHz (every phone), which would drop a context we had already
    // unlocked; and auto-suspend after 30 s of quiet can leave iOS needing another tap.
    howler.autoUnlock = false;
    howler.autoSuspend = false;
    howlerLib = lib;
    return lib;
  });
  howlerLoading.catch(() => {
    howlerLoading = null; // let a later call retry
  });
  return howlerLoading;
}

function ensureContext(lib: HowlerModule): AudioContext | null {
  if (!audioContext()) {
    lib.Howler.mute(preference().isMuted()); // creates the context (and masterGain)
    audioContext()?.addEventListener("statechange", () => setLoadState({}));
    setLoadState({});
  }
  return audioContext();
}

// ---------------------------------------------------------------------------------------------
// Loading.

async function fetchManifest(url: string) {
  const response = await fetch(url, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parseSoundManifest(await response.json());
}

function createHowl(lib: HowlerModule, entry: SoundEntry, options: { volume: number }): HowlInstance {
  const sprite = entry.loop ? { loop: [entry.loop.start * 1000, (entry.loop.end - entry.loop.start) * 1000, true] as [number, number, boolean] } : undefined;
  return new lib.Howl({
    src: entry.files.map((f) => f.url),
    format: entry.files.map((f) => f.format),
    volume: options.volume,
    preload: true,
    html5: false, // Web Audio: sample-accurate loop points and low latency
    ...(sprite ? { sprite } : {}),
  });
}

function whenLoaded(howl: HowlInstance): Promise<void> {
  if (howl.state() === "loaded") return Promise.resolve();
  return new Promise((resolve, reject) => {
    howl.once("load", () => resolve());
    howl.once("loaderror", (_id, error) => reject(new Error(`sound failed to load: ${String(error)}`)));
  });
}

/**
 * Loads the manifest, howler and every sound. Idempotent; resolves true once all sounds are
 * ready, false when sound is unavailable (never throws: the game goes on silently). A failed
 * load is retried by the next call.
 */
export function loadSounds(manifestUrl: string = SOUND_MANIFEST_URL): Promise<boolean> {
  if (!inBrowser()) return Promise.resolve(false);
  loading ??= (async () => {
    try {
      setLoadState({ stage: "loading", loadedBytes: 0 });
      const [lib, manifest] = await Promise.all([loadHowler(), fetchManifest(manifestUrl)]);
      if (lib.Howler.noAudio) {
        setLoadState({ stage: "unavailable" });
        return false;
      }
      ensureContext(lib);
      hookVisibility();
      const effects = new Map<EffectName, HowlInstance>();
      for (const name of EFFECT_NAMES) effects.set(name, createHowl(lib, manifest.sounds[name], { volume: EFFECT_VOLUME[name] }));
      const music = createHowl(lib, manifest.sounds.music, { volume: MUSIC_VOLUME });
      loaded = { effects, music };
      // The bar moves as each file is fetched and decoded (howler reports no bytes in between).
      const entries = [...EFFECT_NAMES.map((name) => [effects.get(name)!, manifest.sounds[name]] as const), [music, manifest.sounds.music] as const];
      setLoadState({ totalBytes: entries.reduce((sum, [, entry]) => sum + (entry.files[0]?.bytes ?? 0), 0) });
      const decodedBytes = (): number => entries.reduce((sum, [howl, entry]) => sum + (howl.state() === "loaded" ? (entry.files[0]?.bytes ?? 0) : 0), 0);
      for (const [howl] of entries) {
        whenLoaded(howl).then(
          () => {
            if (loadState.stage === "loading") setLoadState({ loadedBytes: decodedBytes() });
          },
          () => {},
        );
      }
      // Music asked for while loading starts as soon as it can (before the effects finish, too).
      whenLoaded(music).then(
        () => {
          if (musicWanted) startMusic();
        },
        () => {},
      );
      await Promise.all([...effects.values(), music].map(whenLoaded));
      setLoadState({ stage: "ready", loadedBytes: loadState.totalBytes });
      return true;
    } catch (error) {
      console.warn("[sound] unavailable:", error);
      setLoadState({ stage: "unavailable" });
      for (const howl of loaded ? [...loaded.effects.values(), loaded.music] : []) howl?.unload();
      loaded = null;
      loading = null;
      return false;
    }
  })();
  return loading;
}

// ---------------------------------------------------------------------------------------------
// Playback.

/** Plays a one-shot effect; a no-op until loadSounds() has loaded it. */
export function playEffect(name: EffectName): void {
  const howl = loaded?.effects.get(name);
  if (!howl || howl.state() !== "loaded") {
    logPlayed(name, false);
    return; // a late countdown tick is worse than none
  }
  const id = howl.play(); // howler reuses its pooled Sound objects: no buffers are allocated per play
  // howler marks a sound playing even while it waits for a locked context: count only a running one.
  logPlayed(name, howl.playing(id) && audioContext()?.state === "running");
}

function logPlayed(name: EffectName, playing: boolean): void {
  playedLog.push({ name, at: Math.round(performance.now()), playing });
  if (playedLog.length > 50) playedLog.shift();
  exportSoundDebug();
}

/** Starts (or keeps) the background loop, fading in; if it is still loading, it starts when loaded. */
export function startMusic(): void {
  musicWanted = true;
  const music = loaded?.music;
  if (!music || music.state() !== "loaded") return;
  if (musicStopTimer !== null) {
    clearTimeout(musicStopTimer);
    musicStopTimer = null;
  }
  if (musicId !== null && music.playing(musicId)) {
    const current = music.volume(musicId);
    music.fade(typeof current === "number" ? current : 0, MUSIC_VOLUME, MUSIC_FADE_IN_MS, musicId);
    return;
  }
  const id = music.play("loop");
  musicId = id;
  music.volume(0, id);
  music.fade(0, MUSIC_VOLUME, MUSIC_FADE_IN_MS, id);
}

/** Fades the background loop out and stops it. */
export function stopMusic(fadeMs: number = MUSIC_FADE_OUT_MS): void {
  musicWanted = false;
  const music = loaded?.music;
  const id = musicId;
  if (!music || id === null) return;
  if (musicStopTimer !== null) clearTimeout(musicStopTimer);
  const current = music.volume(id);
  music.fade(typeof current === "number" ? current : MUSIC_VOLUME, 0, fadeMs, id);
  musicStopTimer = setTimeout(() => {
    musicStopTimer = null;
    if (musicWanted) return;
    music.stop(id);
    if (musicId === id) musicId = null;
  }, fadeMs + 50);
}

// ---------------------------------------------------------------------------------------------
// Mute.

export function isMuted(): boolean {
  return inBrowser() ? preference().isMuted() : false;
}

/** Mutes or unmutes everything and remembers it (localStorage `poseparty.muted`). */
export function setMuted(muted: boolean): void {
  if (!inBrowser()) return;
  preference().setMuted(muted);
  applyMuted(muted);
}

export function toggleMuted(): boolean {
  const next = !isMuted();
  setMuted(next);
  return next;
}

/** For useSyncExternalStore: calls `listener` whenever the mute state changes (also from another tab). */
export function subscribeMuted(listener: MutedListener): () => void {
  if (!inBrowser()) return () => {};
  if (!storageHooked) {
    storageHooked = true;
    window.addEventListener("storage", (event) => {
      if (event.key === MUTED_STORAGE_KEY || event.key === null) preference().reload();
    });
  }
  return preference().subscribe(listener);
}

// ---------------------------------------------------------------------------------------------
// Unlocking (iOS and autoplay policies need a user gesture before any sound).

/**
 * Installs capture-phase gesture listeners that create/resume the AudioContext and play one
 * silent sample inside the gesture, then remove themselves once the context runs. Idempotent.
 * Also starts loading howler, which must be loaded before a gesture can unlock (the work has to
 * happen synchronously inside the event handler); gestures before that are ignored.
 */
export function unlockAudioOnFirstTap(): void {
  if (!inBrowser() || unlockListening) return;
  const ctx = audioContext();
  if (ctx && ctx.state === "running") return;
  unlockListening = true;
  void loadHowler().catch((error: unknown) => console.warn("[sound] howler failed to load:", error));
  for (const type of GESTURE_EVENTS) window.addEventListener(type, onGesture, { capture: true, passive: true });
}

/**
 * Unlocks now, from inside a tap's own handler (a "turn on sound" button): the capture listeners
 * may already be gone, or not yet installed. Needs howler loaded (it is once the sounds are).
 */
export function unlockAudioInGesture(): void {
  if (!inBrowser()) return;
  onGesture();
  unlockAudioOnFirstTap(); // in case this tap came too early: the next one tries again
}

function stopListeningForGestures(): void {
  for (const type of GESTURE_EVENTS) window.removeEventListener(type, onGesture, { capture: true });
  unlockListening = false;
}

function onGesture(): void {
  const lib = howlerLib;
  if (!lib) return; // still loading: the next gesture will do
  const ctx = ensureContext(lib);
  if (!ctx) {
    stopListeningForGestures(); // no Web Audio at all: nothing to unlock
    return;
  }
  if (ctx.state === "running") {
    stopListeningForGestures();
    return;
  }
  try {
    const source = ctx.createBufferSource();
    source.buffer = ctx.createBuffer(1, 1, 22050);
    source.connect(ctx.destination);
    source.start(0);
    source.onended = () => source.disconnect();
  } catch {
    // resume() below is what matters on current browsers
  }
  ctx.resume().then(
    () => {
      if (ctx.state === "running") stopListeningForGestures();
    },
    () => {},
  );
}

/** Silences the game while the page is hidden (phones keep Web Audio running in the background). */
function hookVisibility(): void {
  if (visibilityHooked) return;
  visibilityHooked = true;
  document.addEventListener("visibilitychange", () => {
    const ctx = audioContext();
    if (!ctx) return;
    if (document.visibilityState === "hidden") {
      if (ctx.state === "running") void ctx.suspend().catch(() => {});
      return;
    }
    // Outside a gesture, resume() may be refused (or never settle, on iOS): then the next tap does it.
    void ctx.resume().catch(() => {});
    setTimeout(() => {
      if (ctx.state !== "running") unlockAudioOnFirstTap();
    }, 300);
  });
}
