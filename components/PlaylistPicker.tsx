"use client";
import { useEffect, useState } from "react";
import {
  DEFAULT_PLAYLIST,
  roundKindSchema,
  STANDARD_TIME_SCALE,
  TIME_SCALES,
  type PlaylistSettings,
  type RoundKind,
  type TestPlaylistId,
  type TimeScale,
} from "@/core/playlist";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import { rememberPlaylist, rememberedPlaylist } from "@/client/lastPlaylist";
import { startGame } from "@/client/room/commands";
import { rememberTimeScale, rememberedTimeScale } from "@/client/timeScalePreference";
import { errorMessageKey } from "./errorText";

const ROUND_KINDS: readonly RoundKind[] = roundKindSchema.options;

/** Host only: chooses the next game and starts it. Everyone else sees who they are waiting for. */
export function PlaylistPicker({ roomCode, isHost, testPlaylist }: { roomCode: string; isHost: boolean; testPlaylist: TestPlaylistId | null }) {
  const { t } = useI18n();
  // The host's last settings come back after a game ("Back to the room"), not the defaults.
  const [playlist, setPlaylist] = useState<PlaylistSettings>(() => (typeof window === "undefined" ? null : rememberedPlaylist(roomCode)) ?? DEFAULT_PLAYLIST);
  useEffect(() => {
    if (isHost) rememberPlaylist(roomCode, playlist);
  }, [roomCode, isHost, playlist]);
  // Read after mount: the server render has no storage, and the first paint must match it.
  const [timeScale, setTimeScale] = useState<TimeScale>(STANDARD_TIME_SCALE);
  useEffect(() => setTimeScale(rememberedTimeScale()), []);
  const chooseTimeScale = (scale: TimeScale) => {
    setTimeScale(scale);
    rememberTimeScale(scale);
  };
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);

  if (!isHost) return <p className="hint card">{t("waitingForHost")}</p>;

  const toggleKind = (kind: RoundKind) => {
    const has = playlist.roundKinds.includes(kind);
    const roundKinds = has ? playlist.roundKinds.filter((k) => k !== kind) : [...playlist.roundKinds, kind];
    if (roundKinds.length > 0) setPlaylist({ ...playlist, roundKinds });
  };

  const onStart = async () => {
    setBusy(true);
    setError(null);
    const answer = await startGame(testPlaylist ? { testPlaylist, timeScale } : { playlist, timeScale });
    setBusy(false);
    if (!answer.ok) setError(errorMessageKey(answer.code));
  };

  return (
    <section className="card playlist" data-testid="playlist-picker">
      <h2>{t("playlistTitle")}</h2>
      {!testPlaylist && (
        <>
          <label className="field">
            <span>
              {t("roundsLabel")}: <strong>{playlist.rounds}</strong>
            </span>
            <input
              type="range"
              min={3}
              max={12}
              value={playlist.rounds}
              data-testid="rounds-input"
              onChange={(e) => setPlaylist({ ...playlist, rounds: Number(e.target.value) })}
            />
          </label>
          <label className="field">
            <span>
              {t("secondsLabel")}: <strong>{playlist.secondsPerRound}</strong>
            </span>
            <input
              type="range"
              min={5}
              max={15}
              value={playlist.secondsPerRound}
              onChange={(e) => setPlaylist({ ...playlist, secondsPerRound: Number(e.target.value) })}
            />
          </label>
          <fieldset className="choice-row">
            <legend>{t("difficultyLabel")}</legend>
            {(["easy", "normal", "hard"] as const).map((difficulty) => (
              <label key={difficulty} className="chip">
                <input type="radio" name="difficulty" checked={playlist.difficulty === difficulty} onChange={() => setPlaylist({ ...playlist, difficulty })} />
                {t(`difficulty_${difficulty}`)}
              </label>
            ))}
          </fieldset>
          <fieldset className="choice-row">
            <legend>{t("roundKindsLabel")}</legend>
            {ROUND_KINDS.map((kind) => (
              <label key={kind} className="chip">
                <input type="checkbox" checked={playlist.roundKinds.includes(kind)} onChange={() => toggleKind(kind)} data-testid={`round-kind-${kind}`} />
                {t(`roundKind_${kind}`)}
              </label>
            ))}
          </fieldset>
          {(playlist.roundKinds.includes("pose") || playlist.roundKinds.includes("copy")) && (
            <fieldset className="choice-row">
              <legend>{t("poseQualityLabel")}</legend>
              {(["lite", "full", "heavy"] as const).map((poseQuality) => (
                <label key={poseQuality} className="chip">
                  <input
                    type="radio"
                    name="pose-quality"
                    checked={playlist.poseQuality === poseQuality}
                    onChange={() => setPlaylist({ ...playlist, poseQuality })}
                  />
                  {t(`poseQuality_${poseQuality}`)}
                </label>
              ))}
            </fieldset>
          )}
        </>
      )}
      {testPlaylist && <p className="hint">test playlist: {testPlaylist}</p>}
      {/* For test playlists too: the timing is the room's, not the playlist's. */}
      <fieldset className="choice-row" data-testid="time-scale">
        <legend>{t("moreTimeLabel")}</legend>
        {TIME_SCALES.map((scale) => (
          <label key={scale} className="chip">
            <input type="radio" name="time-scale" checked={timeScale === scale} onChange={() => chooseTimeScale(scale)} data-testid={`time-scale-${scale}`} />
            {scale === STANDARD_TIME_SCALE ? t("paceStandard") : `×${scale}`}
          </label>
        ))}
        <p className="hint small">{t("moreTimeHint")}</p>
      </fieldset>
      {error && (
        <p className="form-error" role="alert">
          {t(error)}
        </p>
      )}
      <button type="button" className="primary" onClick={onStart} disabled={busy} data-testid="start-game">
        {t("startGame")}
      </button>
    </section>
  );
}
