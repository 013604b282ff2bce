"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { checkNickname } from "@/core/nickname";
import { normalizeRoomCode } from "@/core/roomCode";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import type { TestPlaylistId } from "@/core/playlist";
import { acquireCamera, releaseCamera } from "@/client/media/camera";
import { unlockAudioOnFirstTap } from "@/client/audio/sound";
import type { CallSettings } from "@/client/call/call";
import { CallProvider } from "@/client/call/useCall";
import { prefersReducedMotion } from "@/client/motionPreference";
import { hasStoredSeat, rememberedNickname } from "@/client/room/seat";
import { closeVisionTasks } from "@/client/vision/registry";
import { joinRoom, leaveRoom, peekRoom, selectRemovedReason, selectRestarted, selectRoom, selectSeat, useRoomStore } from "@/client/roomStore";
import { GameStage } from "./GameStage";
import { Lobby } from "./Lobby";
import { Results } from "./Results";
import { PlaylistPicker } from "./PlaylistPicker";
import { AppHeader, ConnectionBanner } from "./Chrome";
import { CallGrid } from "./CallGrid";
import { DisplaySettings } from "./DisplaySettings";
import { InvitePanel } from "./InvitePanel";
import { MemberList } from "./MemberList";
import { errorMessageKey } from "./errorText";

/** The invite stays at the top of the room until this many are in. */
const INVITE_FIRST_BELOW = 3;

function showInvite(): void {
  const panel = document.getElementById("invite");
  panel?.scrollIntoView({ behavior: prefersReducedMotion() ? "auto" : "smooth", block: "start" });
  panel?.querySelector<HTMLButtonElement>("[data-testid=copy-link]")?.focus({ preventScroll: true });
}

type Gate =
  { kind: "checking" } | { kind: "ask-nickname"; error: MessageKey | null; busy: boolean } | { kind: "blocked"; title: MessageKey; detail: MessageKey };

interface RoomScreenProps {
  code: string;
  /** Where /vision/ files are served from: "" for this server, else MODEL_BASE_URL. */
  modelBaseUrl: string;
  /** Development and e2e only: the host starts this fixed playlist (the server refuses it otherwise). */
  testPlaylist: TestPlaylistId | null;
  /** The video call: provider (built-in mesh or LiveKit) and ICE servers, from the server's environment. */
  call: CallSettings;
}

export function RoomScreen({ code: rawCode, modelBaseUrl, testPlaylist, call }: RoomScreenProps) {
  const { t } = useI18n();
  const router = useRouter();
  // Not the scores: they change ten times a second during a round, and only the scoreboards show them.
  const seat = useRoomStore(selectSeat);
  const room = useRoomStore(selectRoom);
  const restarted = useRoomStore(selectRestarted);
  const removedReason = useRoomStore(selectRemovedReason);
  const code = normalizeRoomCode(rawCode);
  const seated = seat !== null && seat.roomCode === code && room !== null;
  const [gate, setGate] = useState<Gate>({ kind: "checking" });
  const [nickname, setNickname] = useState("");

  useEffect(() => {
    if (seated) return;
    if (!code) {
      setGate({ kind: "blocked", title: "roomNotFoundTitle", detail: "error_room_not_found" });
      return;
    }
    let cancelled = false;
    const block = (errorCode: Parameters<typeof errorMessageKey>[0]) =>
      setGate({
        kind: "blocked",
        title: errorCode === "room_full" ? "roomFullTitle" : "roomNotFoundTitle",
        detail: errorMessageKey(errorCode),
      });
    void (async () => {
      // After a reload this tab still holds its seat's token: take the seat back without asking again.
      if (hasStoredSeat(code)) {
        const answer = await joinRoom(code, "");
        if (cancelled || answer.ok) return;
      }
      const peek = await peekRoom(code);
      if (cancelled) return;
      if (!peek.ok) return block(peek.code);
      if (peek.memberCount >= peek.maxMembers) return block("room_full");
      setNickname((current) => current || rememberedNickname());
      setGate({ kind: "ask-nickname", error: null, busy: false });
    })();
    return () => {
      cancelled = true;
    };
  }, [code, seated]);

  const onJoin = async (event: FormEvent) => {
    event.preventDefault();
    if (!code) return;
    const checked = checkNickname(nickname);
    if (!checked.ok) return setGate({ kind: "ask-nickname", error: `error_${checked.code}`, busy: false });
    setGate({ kind: "ask-nickname", error: null, busy: true });
    const answer = await joinRoom(code, checked.nickname);
    if (answer.ok) return;
    if (answer.code === "room_not_found" || answer.code === "room_full") {
      setGate({ kind: "blocked", title: answer.code === "room_full" ? "roomFullTitle" : "roomNotFoundTitle", detail: errorMessageKey(answer.code) });
    } else {
      setGate({ kind: "ask-nickname", error: errorMessageKey(answer.code), busy: false });
    }
  };

  // Sound is unlocked by a tap the player makes anyway (Join, Start, anything in the lobby); this
  // loads only the small howler library, never a sound file (those load in the lobby).
  useEffect(() => {
    unlockAudioOnFirstTap();
  }, []);

  // The camera is opened once, on entering the room, and kept for the call and the game.
  useEffect(() => {
    if (seated) void acquireCamera();
  }, [seated]);

  const onLeave = async () => {
    await leaveRoom();
    // Loaded models hold WASM memory: free them with the room.
    closeVisionTasks();
    releaseCamera();
    router.push("/");
  };

  if (seated && room && seat) {
    const inviteFirst = room.members.length < INVITE_FIRST_BELOW;
    const PhaseHeading = room.phase === "chatting" || room.phase === "playing" ? "h1" : "p";
    return (
      // The call lives above the phase switch: chat, lobby, game and results share one connection.
      <CallProvider key={`${room.code}:${seat.playerId}`} settings={call} room={room} seat={seat}>
        <main className="screen">
          <AppHeader>
            <button type="button" className="link-button" onClick={onLeave} data-testid="leave-room">
              {t("leaveRoom")}
            </button>
          </AppHeader>
          <ConnectionBanner />
          {restarted && (
            <p className="banner banner-info" role="status" data-testid="restart-notice">
              {t("serverRestartedRoomKept")}
            </p>
          )}
          {/* The page's h1 where the phase has no title of its own (the lobby and the results do). */}
          <PhaseHeading className="phase" data-testid="room-phase" data-phase={room.phase}>
            {t(`phase_${room.phase}`)}
          </PhaseHeading>
          {room.phase === "chatting" && (
            <>
              {room.calledOff && (
                <p className="banner banner-info" role="status" data-testid="called-off-notice" data-reason={room.calledOff.reason}>
                  {t(`calledOff_${room.calledOff.reason}`)}
                </p>
              )}
              {/* Getting friends in comes first while the room is small; after that, one tap away. */}
              {inviteFirst ? (
                <InvitePanel roomCode={room.code} />
              ) : (
                <button type="button" className="invite-jump" onClick={showInvite} data-testid="invite-jump">
                  {t("inviteFriends")} <span className="room-code-inline">{room.code}</span>
                </button>
              )}
              <CallGrid layout="grid" />
              <PlaylistPicker roomCode={room.code} isHost={room.hostId === seat.playerId} testPlaylist={testPlaylist} />
              <MemberList room={room} selfId={seat.playerId} />
              <DisplaySettings />
              {!inviteFirst && <InvitePanel roomCode={room.code} />}
            </>
          )}
          {/* The lobby places the call itself: its framing preview may need the camera. */}
          {room.phase === "preloading" && <Lobby room={room} selfId={seat.playerId} modelBaseUrl={modelBaseUrl} />}
          {room.phase === "playing" && (
            <>
              {/* GameStage shows the player's own camera large; the call adds the friends, small. */}
              <CallGrid layout="game" showSelf={false} />
              <GameStage room={room} selfId={seat.playerId} modelBaseUrl={modelBaseUrl} />
            </>
          )}
          {room.phase === "results" && (
            <>
              {/* Friends' faces above the scores: their reactions are half the fun. */}
              <CallGrid layout="game" showSelf={false} />
              <Results room={room} selfId={seat.playerId} />
            </>
          )}
        </main>
      </CallProvider>
    );
  }

  return (
    <main className="screen">
      <AppHeader />
      <ConnectionBanner />
      {removedReason && (
        <p className="banner banner-info" role="status" data-testid="removed-notice">
          {t(restarted ? "serverRestartedRoomLost" : "error_removed")}
        </p>
      )}
      {gate.kind === "checking" && <p className="hint">{t("connecting")}</p>}
      {gate.kind === "blocked" && (
        <section className="card" data-testid="room-error">
          <h1>{t(gate.title)}</h1>
          <p role="alert">{t(gate.detail)}</p>
          <Link href="/" className="button">
            {t("backHome")}
          </Link>
        </section>
      )}
      {gate.kind === "ask-nickname" && (
        <form className="card" onSubmit={onJoin} noValidate>
          <h1>
            {t("roomTitle")} <span className="room-code-inline">{code}</span>
          </h1>
          <label htmlFor="join-nickname">{t("nicknameLabel")}</label>
          <input
            id="join-nickname"
            data-testid="nickname-input"
            value={nickname}
            onChange={(event) => setNickname(event.target.value)}
            placeholder={t("nicknamePlaceholder")}
            autoComplete="nickname"
            autoFocus
          />
          {gate.error && (
            <p className="form-error" role="alert" data-testid="form-error">
              {t(gate.error)}
            </p>
          )}
          <button type="submit" className="primary" data-testid="join-submit" disabled={gate.busy}>
            {gate.busy ? t("joining") : t("joinThisRoom")}
          </button>
        </form>
      )}
    </main>
  );
}
