"use client";
import type { RoomSnapshot } from "@/core/protocol";
import { useI18n } from "@/client/i18n";

export function MemberList({ room, selfId }: { room: RoomSnapshot; selfId: string }) {
  const { t } = useI18n();
  return (
    <section className="card">
      <h2>
        {t("players")}{" "}
        <span className="count">
          {room.members.length}/{room.maxMembers}
        </span>
      </h2>
      <ul className="member-list" data-testid="member-list">
        {room.members.map((member) => (
          <li key={member.id} data-testid="member" data-connected={member.connected} className={member.connected ? "" : "away"}>
            {/* Nicknames are always rendered as text, never as markup. */}
            <span className="member-name" data-testid="member-name">
              {member.nickname}
            </span>
            {member.id === selfId && <span className="tag">{t("you")}</span>}
            {member.isHost && (
              <span className="badge" data-testid="host-badge">
                {t("host")}
              </span>
            )}
            {!member.connected && <span className="tag muted">{t("away")}</span>}
          </li>
        ))}
      </ul>
      {room.members.length === 1 && <p className="hint">{t("waitingForFriends")}</p>}
    </section>
  );
}
