"use client";
/**
 * The player's one camera stream: requested once in the room, then shared by
 * the call and by inference. One <video> element plays it for the whole
 * visit; views adopt that element instead of decoding the stream twice.
 */
export type CameraState =
  | { status: "idle" }
  | { status: "requesting" }
  | { status: "ready"; stream: MediaStream }
  | { status: "failed"; reason: "denied" | "unavailable" | "unsupported" };

let state: CameraState = { status: "idle" };
let pending: Promise<CameraState> | null = null;
let videoElement: HTMLVideoElement | null = null;
const listeners = new Set<() => void>();

function set(next: CameraState): void {
  state = next;
  for (const listener of listeners) listener();
}

export function subscribeCamera(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getCameraState(): CameraState {
  return state;
}

/** Front camera, 640x480 ideal (what the models want; more pixels only cost decode time), with the microphone for the call. */
export function acquireCamera(): Promise<CameraState> {
  if (state.status === "ready") return Promise.resolve(state);
  pending ??= (async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      set({ status: "failed", reason: "unsupported" });
      return state;
    }
    set({ status: "requesting" });
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
        audio: { echoCancellation: true, noiseSuppression: true },
      });
      attachVideo(stream);
      // The camera stream has its own microphone: an audio-only fallback is no longer needed.
      stopMicrophoneOnly();
      set({ status: "ready", stream });
    } catch (error) {
      const name = error instanceof DOMException ? error.name : "";
      set({ status: "failed", reason: name === "NotAllowedError" || name === "SecurityError" ? "denied" : "unavailable" });
    } finally {
      pending = null;
    }
    return state;
  })();
  return pending;
}

function attachVideo(stream: MediaStream): void {
  videoElement ??= document.createElement("video");
  videoElement.muted = true; // our own microphone must never play back
  videoElement.playsInline = true;
  videoElement.autoplay = true;
  videoElement.className = "camera-video";
  videoElement.srcObject = stream;
  void videoElement.play().catch(() => undefined);
}

/** The element playing the camera: inference reads frames from it; SelfView shows it. */
export function getCameraVideo(): HTMLVideoElement | null {
  return videoElement;
}

/** Stops the camera and microphone, e.g. when the player leaves the room. */
export function releaseCamera(): void {
  if (state.status === "ready") for (const track of state.stream.getTracks()) track.stop();
  if (videoElement) videoElement.srcObject = null;
  stopMicrophoneOnly();
  set({ status: "idle" });
}

// ---------------------------------------------------------------- audio-only fallback
// Only after the camera failed (refused, missing): the player still talks in the call and watches
// the game. Never a second camera request, and gone as soon as the camera works after all.
let microphoneOnly: MediaStream | null = null;
let microphonePending: Promise<MediaStream | null> | null = null;

/** The microphone alone, when the camera could not be opened; null if that fails too. */
export function acquireMicrophoneOnly(): Promise<MediaStream | null> {
  if (state.status === "ready") return Promise.resolve(null);
  if (microphoneOnly) return Promise.resolve(microphoneOnly);
  microphonePending ??= (async () => {
    try {
      if (!navigator.mediaDevices?.getUserMedia) return null;
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
      // The camera may have come up meanwhile (a retry in the lobby): keep only one microphone.
      if (getCameraState().status === "ready") {
        for (const track of stream.getTracks()) track.stop();
        return null;
      }
      microphoneOnly = stream;
      for (const listener of listeners) listener();
      return stream;
    } catch {
      return null;
    } finally {
      microphonePending = null;
    }
  })();
  return microphonePending;
}

/** The audio-only stream from acquireMicrophoneOnly, while the camera is not ready. */
export function getMicrophoneOnlyStream(): MediaStream | null {
  return microphoneOnly;
}

function stopMicrophoneOnly(): void {
  if (!microphoneOnly) return;
  for (const track of microphoneOnly.getTracks()) track.stop();
  microphoneOnly = null;
  for (const listener of listeners) listener();
}
