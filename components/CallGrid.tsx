"use client";
/**
 * The call on screen: a tile per member with name, mute and camera-off marks and a speaking ring;
 * the player's own tile is the mirrored camera with the microphone and camera switches.
 *
 * layout="grid": everyone the same size (chat, lobby, results).
 * layout="game": the player's own camera large, friends small beside or below it.
 * It only draws: the connection lives in CallProvider (client/call/useCall.tsx), above the
 * phase switch, so changing layout or phase never reconnects.
 */
import { useEffect, useRef, useState, type CSSProperties, type ReactNode } from "react";
import type { MemberSnapshot } from "@/core/protocol";
import { MESH_VIDEO_LIMIT, type RemotePeer } from "@/client/call/call";
import { useCall } from "@/client/call/useCall";
import { getCameraVideo } from "@/client/media/camera";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";

export interface CallGridProps {
  layout?: "grid" | "game";
  /** false when the page shows the player's camera elsewhere (one <video> element can be in one place). */
  showSelf?: boolean;
}

const cameraFailureText: Record<"denied" | "unavailable" | "unsupported", MessageKey> = {
  denied: "cameraDenied",
  unavailable: "cameraUnavailable",
  unsupported: "cameraUnsupported",
};

export function CallGrid({ layout = "grid", showSelf = true }: CallGridProps) {
  const { t } = useI18n();
  const call = useCall();
  if (!call) return null;
  const { members, selfId, local, state, provider } = call;
  const self = members.find((member) => member.id === selfId);
  const friends = members.filter((member) => member.id !== selfId);
  const connectedCount = members.filter((member) => member.connected).length;

  const remoteTile = (member: MemberSnapshot, size: "normal" | "small") => (
    <RemoteTile key={member.id} member={member} peer={state.peers[member.id]} size={size} />
  );

  const notices = (
    <>
      {local.camera.status === "failed" && (
        <p className="banner banner-info call-notice" role="alert" data-testid="call-camera-notice">
          {t(cameraFailureText[local.camera.reason])} {t(local.audioOnly ? "callAudioOnlySelf" : "callNoMedia")}
        </p>
      )}
      {provider === "mesh" && connectedCount > MESH_VIDEO_LIMIT && <p className="hint call-notice">{t("callVideoLimit")}</p>}
      {provider === "livekit" && state.status === "failed" && <p className="banner banner-error call-notice">{t("callServerDown")}</p>}
      {call.audioBlocked && (
        <button type="button" className="primary call-sound" onClick={call.resumeAudio} data-testid="call-enable-sound">
          {t("callTapForSound")}
        </button>
      )}
    </>
  );

  if (layout === "game") {
    return (
      <section className="call call-layout-game" aria-label={t("callLabel")} data-testid="call-grid" data-layout="game">
        {showSelf && self && <SelfTile member={self} size="large" />}
        {(friends.length > 0 || !showSelf) && (
          <div className="call-strip">
            {friends.map((member) => remoteTile(member, "small"))}
            {/* Without the own tile, its switches still have to be somewhere. */}
            {!showSelf && <CallControls className="call-strip-controls" />}
          </div>
        )}
        {notices}
      </section>
    );
  }

  const tiles = showSelf ? members : friends;
  const count = Math.max(1, tiles.length);
  const narrowColumns = count === 1 ? 1 : count <= 4 ? 2 : 3;
  const wideColumns = count <= 3 ? count : count === 4 ? 2 : count <= 9 ? 3 : 4;
  const style = {
    "--call-cols-narrow": narrowColumns,
    "--call-rows-narrow": Math.ceil(count / narrowColumns),
    "--call-cols-wide": wideColumns,
    "--call-rows-wide": Math.ceil(count / wideColumns),
  } as CSSProperties;
  return (
    <section className="call call-layout-grid" aria-label={t("callLabel")} data-testid="call-grid" data-layout="grid" data-count={count} style={style}>
      <div className="call-tiles">
        {tiles.map((member) => (member.id === selfId ? <SelfTile key={member.id} member={member} size="normal" /> : remoteTile(member, "normal")))}
      </div>
      {notices}
    </section>
  );
}

function SelfTile({ member, size }: { member: MemberSnapshot; size: "normal" | "large" }) {
  const { t } = useI18n();
  const call = useCall();
  const container = useRef<HTMLDivElement>(null);
  const cameraStatus = call?.local.camera.status;

  // The one <video> already playing the camera moves in here (no second decode of the stream).
  useEffect(() => {
    const video = getCameraVideo();
    const host = container.current;
    if (cameraStatus !== "ready" || !video || !host) return;
    host.prepend(video);
    void video.play().catch(() => undefined);
    return () => video.remove();
  }, [cameraStatus]);

  if (!call) return null;
  const { local } = call;
  const uplinkLevel = call.state.uplinkLevel;
  const speaking = Boolean(call.speaking[member.id]);
  return (
    <figure
      className={`call-tile call-self call-size-${size}`}
      data-testid="self-tile"
      data-player={member.id}
      data-speaking={speaking}
      data-muted={!local.audio}
      data-camera-off={!local.video}
      data-uplink-level={uplinkLevel}
    >
      <div ref={container} className={`call-video call-mirror${local.hasCamera ? "" : " call-hidden"}`} />
      {!local.hasCamera && <Avatar name={member.nickname} />}
      {cameraStatus === "requesting" && <p className="call-status">{t("cameraStarting")}</p>}
      {local.hasCamera && !local.video && <p className="call-status">{t("callSelfCameraOff")}</p>}
      {local.video && uplinkLevel === "audio-only" && (
        <p className="call-status" role="status" data-testid="slow-uplink-note">
          {t("callSlowUplinkSelf")}
        </p>
      )}
      <figcaption className="call-name">
        {!local.audio && <MicIcon off label={t("callMuted")} />}
        <span className="call-nickname">{member.nickname}</span>
        <span className="call-you">({t("you")})</span>
        {local.video && (uplinkLevel === "reduced" || uplinkLevel === "minimal") && <span className="call-tag">{t("callLowVideo")}</span>}
      </figcaption>
      <CallControls className="call-controls" />
    </figure>
  );
}

/** The player's microphone and camera switches. */
function CallControls({ className }: { className: string }) {
  const { t } = useI18n();
  const call = useCall();
  if (!call) return null;
  const { local } = call;
  return (
    <div className={className}>
      <CallToggle
        on={local.audio}
        available={local.hasMicrophone}
        onToggle={call.toggleMicrophone}
        label={t(local.audio ? "callMute" : "callUnmute")}
        testId="toggle-mic"
      >
        <MicIcon off={!local.audio} />
      </CallToggle>
      <CallToggle
        on={local.video}
        available={local.hasCamera}
        onToggle={call.toggleCamera}
        label={t(local.video ? "callCameraStop" : "callCameraStart")}
        testId="toggle-camera"
      >
        <CameraIcon off={!local.video} />
      </CallToggle>
    </div>
  );
}

/** One switch (microphone or camera): pressed means off, as on a call app's mute button. */
function CallToggle(props: { on: boolean; available: boolean; onToggle: () => void; label: string; testId: string; children: ReactNode }) {
  return (
    <button
      type="button"
      className="call-toggle"
      onClick={props.onToggle}
      disabled={!props.available}
      aria-pressed={!props.on}
      aria-label={props.label}
      title={props.label}
      data-testid={props.testId}
      data-on={props.on}
    >
      {props.children}
    </button>
  );
}

function RemoteTile({ member, peer, size }: { member: MemberSnapshot; peer: RemotePeer | undefined; size: "normal" | "small" }) {
  const { t } = useI18n();
  const call = useCall();
  const video = useRef<HTMLVideoElement>(null);
  const videoTrack = peer?.stream?.getVideoTracks()[0] ?? null;
  const register = call?.registerRemoteVideo;
  // Until the first frame is decoded the avatar stands in, rather than an empty box.
  const [hasFrame, setHasFrame] = useState(false);

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    setHasFrame(false);
    // Video only: friends' audio plays in CallProvider, whatever the layout shows.
    element.srcObject = videoTrack ? new MediaStream([videoTrack]) : null;
    if (videoTrack) void element.play().catch(() => undefined);
  }, [videoTrack]);
  useEffect(() => {
    if (!register) return;
    register(member.id, video.current);
    return () => register(member.id, null);
  }, [register, member.id]);

  const status = !member.connected ? "away" : (peer?.status ?? "connecting");
  const videoAllowed = peer?.videoAllowed !== false;
  // A friend whose upload cannot carry video sends none: their last frame would freeze in the tile.
  const slowUplink = member.media.video && Boolean(member.media.slowUplink);
  const showVideo = Boolean(videoTrack) && hasFrame && member.media.video && !slowUplink && videoAllowed && member.connected;
  const statusText: MessageKey | null =
    status === "away"
      ? "away"
      : status === "connecting"
        ? "callConnecting"
        : status === "reconnecting"
          ? "callReconnecting"
          : status === "failed"
            ? peer?.needsRelay
              ? "callNeedsRelay"
              : "callFailed"
            : null;
  const speaking = Boolean(call?.speaking[member.id]) && member.media.audio;
  return (
    <figure
      className={`call-tile call-remote call-size-${size}`}
      data-testid="remote-tile"
      data-player={member.id}
      data-status={status}
      data-needs-relay={status === "failed" && Boolean(peer?.needsRelay)}
      data-paused={member.paused}
      data-speaking={speaking}
      data-muted={!member.media.audio}
      data-camera-off={!member.media.video}
      data-video-allowed={videoAllowed}
      data-video-paused={slowUplink ? "uplink" : undefined}
    >
      <video ref={video} className={`call-video${showVideo ? "" : " call-hidden"}`} autoPlay playsInline muted onLoadedData={() => setHasFrame(true)} />
      {!showVideo && <Avatar name={member.nickname} />}
      {statusText && <p className="call-status">{t(statusText)}</p>}
      <figcaption className="call-name">
        {!member.media.audio && <MicIcon off label={t("callMuted")} />}
        <span className="call-nickname">{member.nickname}</span>
        {member.connected && member.paused && <span className="call-tag">{t("paused")}</span>}
        {member.connected && !member.media.video && <span className="call-tag">{t("callCameraOff")}</span>}
        {member.connected && member.media.video && !videoAllowed && <span className="call-tag">{t("callAudioOnlyPair")}</span>}
        {member.connected && slowUplink && videoAllowed && <span className="call-tag">{t("callSlowUplinkFriend")}</span>}
        {speaking && <span className="visually-hidden">{t("callSpeaking")}</span>}
      </figcaption>
    </figure>
  );
}

function Avatar({ name }: { name: string }) {
  // First visible character (Hangul, emoji and Latin alike), upper-cased where that means anything.
  const initial = Array.from(name.trim())[0]?.toLocaleUpperCase() ?? "?";
  return (
    <div className="call-avatar" aria-hidden>
      <span>{initial}</span>
    </div>
  );
}

function MicIcon({ off, label }: { off: boolean; label?: string }) {
  return (
    <svg className="call-icon" viewBox="0 0 24 24" role={label ? "img" : undefined} aria-label={label} aria-hidden={label ? undefined : true}>
      <path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 1 0-6 0v6a3 3 0 0 0 3 3Z" fill="currentColor" />
      <path d="M5 11a7 7 0 0 0 14 0M12 18v3" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      {off && <path d="M4 4l16 16" stroke="var(--danger)" strokeWidth="2.5" strokeLinecap="round" />}
    </svg>
  );
}

function CameraIcon({ off }: { off: boolean }) {
  return (
    <svg className="call-icon" viewBox="0 0 24 24" aria-hidden>
      <rect x="3" y="6" width="13" height="12" rx="2" fill="currentColor" />
      <path d="M16 10.5l5-3v9l-5-3z" fill="currentColor" />
      {off && <path d="M3 3l18 18" stroke="var(--danger)" strokeWidth="2.5" strokeLinecap="round" />}
    </svg>
  );
}
