"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { checkNickname } from "@/core/nickname";
import { normalizeRoomCode } from "@/core/roomCode";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";
import { rememberedNickname } from "@/client/room/seat";
import { createRoom, joinRoom } from "@/client/roomStore";
import { AppHeader, ConnectionBanner } from "./Chrome";
import { errorMessageKey } from "./errorText";

export function HomeScreen() {
  const { t } = useI18n();
  const router = useRouter();
  const [nickname, setNickname] = useState("");
  const [roomCode, setRoomCode] = useState("");
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setNickname((current) => current || rememberedNickname()), []);

  const validNickname = (): string | null => {
    const checked = checkNickname(nickname);
    if (checked.ok) return checked.nickname;
    setError(`error_${checked.code}`);
    return null;
  };

  const onCreate = async (event: FormEvent) => {
    event.preventDefault();
    const name = validNickname();
    if (!name) return;
    setBusy(true);
    setError(null);
    const answer = await createRoom(name);
    setBusy(false);
    if (!answer.ok) return setError(errorMessageKey(answer.code));
    router.push(`/r/${answer.room.code}`);
  };

  const onJoin = async (event: FormEvent) => {
    event.preventDefault();
    const name = validNickname();
    if (!name) return;
    const code = normalizeRoomCode(roomCode);
    if (!code) return setError("error_invalid_code");
    setBusy(true);
    setError(null);
    const answer = await joinRoom(code, name);
    setBusy(false);
    if (!answer.ok) return setError(errorMessageKey(answer.code));
    router.push(`/r/${answer.room.code}`);
  };

  return (
    <main className="screen">
      <AppHeader />
      <ConnectionBanner />
      <section className="hero">
        <h1>{t("appName")}</h1>
        <p className="tagline">{t("tagline")}</p>
      </section>
      <form className="card" onSubmit={onCreate} noValidate>
        <label htmlFor="nickname">{t("nicknameLabel")}</label>
        <input
          id="nickname"
          data-testid="nickname-input"
          value={nickname}
          onChange={(event) => setNickname(event.target.value)}
          placeholder={t("nicknamePlaceholder")}
          autoComplete="nickname"
          enterKeyHint="go"
        />
        {error && (
          <p className="form-error" role="alert" data-testid="form-error">
            {t(error)}
          </p>
        )}
        <button type="submit" className="primary" data-testid="create-room" disabled={busy}>
          {t("createRoom")}
        </button>
      </form>
      <form className="card" onSubmit={onJoin} noValidate>
        <label htmlFor="room-code">{t("haveCode")}</label>
        <div className="row">
          <input
            id="room-code"
            data-testid="room-code-input"
            value={roomCode}
            onChange={(event) => setRoomCode(event.target.value)}
            placeholder={t("roomCodePlaceholder")}
            autoCapitalize="characters"
            autoComplete="off"
            spellCheck={false}
            maxLength={12}
          />
          <button type="submit" data-testid="join-room" disabled={busy}>
            {t("joinRoom")}
          </button>
        </div>
      </form>
      <nav className="footer-nav">
        <Link href="/history">{t("historyLink")}</Link>
      </nav>
    </main>
  );
}
