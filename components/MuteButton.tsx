"use client";
/**
 * Round sound on/off toggle. The state lives in client/audio/sound.ts (remembered in
 * localStorage), so every MuteButton on the page and every tab agree. The server renders the
 * unmuted state; the remembered one replaces it right after hydration.
 */
import { useSyncExternalStore, type CSSProperties } from "react";
import { isMuted, setMuted, subscribeMuted } from "@/client/audio/sound";

export interface MuteButtonProps {
  /**
   * Accessible names (pass the i18n texts). `mute` is the button's name: it is a toggle whose
   * aria-pressed says whether sound is muted, so the name stays the same; `unmute` is the
   * tooltip while muted.
   */
  labels: { mute: string; unmute: string };
  className?: string;
  /** Diameter in px; default 44 (the minimum comfortable touch target). */
  size?: number;
}

const getServerSnapshot = (): boolean => false;

export function MuteButton({ labels, className, size = 44 }: MuteButtonProps) {
  const muted = useSyncExternalStore(subscribeMuted, isMuted, getServerSnapshot);
  const style: CSSProperties = {
    width: size,
    height: size,
    minWidth: size,
    padding: 0,
    borderRadius: "50%",
    display: "inline-flex",
    alignItems: "center",
    justifyContent: "center",
    lineHeight: 0,
    opacity: muted ? 0.75 : 1,
  };
  return (
    <button
      type="button"
      className={className}
      style={style}
      data-testid="mute-button"
      data-muted={muted ? "true" : "false"}
      aria-pressed={muted}
      aria-label={labels.mute}
      title={muted ? labels.unmute : labels.mute}
      onClick={() => setMuted(!muted)}
    >
      <SpeakerIcon muted={muted} size={Math.round(size * 0.5)} />
    </button>
  );
}

function SpeakerIcon({ muted, size }: { muted: boolean; size: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d="M11 5 6 9H3v6h3l5 4V5z" fill="currentColor" />
      {muted ? (
        <>
          <line x1="16" y1="9" x2="22" y2="15" />
          <line x1="22" y1="9" x2="16" y2="15" />
        </>
      ) : (
        <>
          <path d="M15.5 8.5a5 5 0 0 1 0 7" />
          <path d="M18.5 5.5a9 9 0 0 1 0 13" />
        </>
      )}
    </svg>
  );
}
