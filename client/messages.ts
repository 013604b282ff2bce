/**
 * UI text. English is the reference: the Korean table must have every key
 * (the type checker enforces it), so a new string cannot ship half-translated.
 */
export const locales = ["ko", "en"] as const;
export type Locale = (typeof locales)[number];
export const LOCALE_COOKIE = "poseparty_locale";

const en = {
  appName: "PoseParty",
  tagline: "Strike the pose with your friends, on camera.",
  nicknameLabel: "Your nickname",
  nicknamePlaceholder: "e.g. Mina",
  createRoom: "Create room",
  haveCode: "Got a code from a friend?",
  roomCodeLabel: "Room code",
  roomCodePlaceholder: "7 letters/digits",
  joinRoom: "Join",
  historyLink: "Match history",
  languageName: "English",
  switchLanguage: "한국어",
  connecting: "Connecting…",
  serverUnreachable: "Can't reach the server. Retrying…",
  serverRestarting: "The server is restarting. You'll be reconnected.",
  roomTitle: "Room",
  inviteHint: "Friends scan the code or open the link.",
  copyLink: "Copy link",
  linkCopied: "Link copied!",
  copyFailed: "Copy failed: select the link and copy it.",
  players: "Players",
  host: "Host",
  you: "you",
  away: "reconnecting…",
  leaveRoom: "Leave room",
  joinThisRoom: "Join this room",
  joining: "Joining…",
  backHome: "Back to the home page",
  roomNotFoundTitle: "Room not found",
  roomFullTitle: "Room is full",
  waitingForFriends: "Waiting for friends. Share the link!",
  historyTitle: "Match history",
  historyEmpty: "No finished matches yet. Play a game and it shows up here.",
  historyUnavailable: "History is unavailable right now: the database is not responding.",
  rounds: "rounds",
  phase_chatting: "Hanging out",
  phase_preloading: "Getting ready",
  phase_playing: "Playing",
  phase_results: "Results",
  error_nickname_empty: "Please enter a nickname.",
  error_nickname_too_long: "Nicknames can be at most 20 characters.",
  error_room_not_found: "No room has that code. Check it and try again.",
  error_room_full: "This room is full.",
  error_invalid_code: "Room codes have 7 letters and digits (no 0, 1, I, L or O).",
  error_rate_limited: "Slow down a little and try again.",
  error_too_many_joins: "Too many attempts. Wait a minute and try again.",
  error_already_in_room: "You are already in a room.",
  error_server_unreachable: "Can't reach the server. Check your connection and try again.",
  error_server_shutting_down: "The server is restarting. Try again in a moment.",
  error_generic: "Something went wrong. Please try again.",
  error_removed: "You were disconnected from the room.",
};

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

const ko: Messages = {
  appName: "포즈파티",
  tagline: "친구들과 카메라 앞에서 포즈를 맞춰 보세요.",
  nicknameLabel: "닉네임",
  nicknamePlaceholder: "예: 민지",
  createRoom: "방 만들기",
  haveCode: "친구에게 받은 코드가 있나요?",
  roomCodeLabel: "방 코드",
  roomCodePlaceholder: "영문·숫자 7자리",
  joinRoom: "참가",
  historyLink: "경기 기록",
  languageName: "한국어",
  switchLanguage: "English",
  connecting: "연결 중…",
  serverUnreachable: "서버에 연결할 수 없습니다. 다시 시도하는 중…",
  serverRestarting: "서버가 다시 시작하는 중입니다. 곧 다시 연결됩니다.",
  roomTitle: "방",
  inviteHint: "친구가 QR 코드를 찍거나 링크를 열면 됩니다.",
  copyLink: "링크 복사",
  linkCopied: "링크를 복사했습니다!",
  copyFailed: "복사하지 못했습니다. 링크를 직접 복사해 주세요.",
  players: "참가자",
  host: "방장",
  you: "나",
  away: "다시 연결 중…",
  leaveRoom: "방 나가기",
  joinThisRoom: "이 방에 참가하기",
  joining: "참가하는 중…",
  backHome: "처음 화면으로",
  roomNotFoundTitle: "방을 찾을 수 없습니다",
  roomFullTitle: "방이 가득 찼습니다",
  waitingForFriends: "친구를 기다리는 중입니다. 링크를 보내 보세요!",
  historyTitle: "경기 기록",
  historyEmpty: "아직 끝난 경기가 없습니다. 게임을 하면 여기에 표시됩니다.",
  historyUnavailable: "지금은 기록을 볼 수 없습니다. 데이터베이스가 응답하지 않습니다.",
  rounds: "라운드",
  phase_chatting: "대화 중",
  phase_preloading: "준비 중",
  phase_playing: "게임 중",
  phase_results: "결과",
  error_nickname_empty: "닉네임을 입력해 주세요.",
  error_nickname_too_long: "닉네임은 20자까지 쓸 수 있습니다.",
  error_room_not_found: "그 코드의 방이 없습니다. 코드를 확인해 주세요.",
  error_room_full: "방이 가득 찼습니다.",
  error_invalid_code: "방 코드는 영문·숫자 7자리입니다 (0, 1, I, L, O 제외).",
  error_rate_limited: "너무 빠릅니다. 잠시 후 다시 시도해 주세요.",
  error_too_many_joins: "시도가 너무 많습니다. 1분 후 다시 시도해 주세요.",
  error_already_in_room: "이미 방에 들어가 있습니다.",
  error_server_unreachable: "서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도해 주세요.",
  error_server_shutting_down: "서버가 다시 시작하는 중입니다. 잠시 후 다시 시도해 주세요.",
  error_generic: "문제가 생겼습니다. 다시 시도해 주세요.",
  error_removed: "방과의 연결이 끊어졌습니다.",
};

export const messages: Record<Locale, Messages> = { en, ko };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (locales as readonly string[]).includes(value);
}

/** First supported language in an Accept-Language header (or navigator.languages), English otherwise. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const base = tag.trim().split(/[-;_]/)[0]?.toLowerCase();
    if (isLocale(base)) return base;
  }
  return "en";
}

export function parseAcceptLanguage(header: string | null): string[] {
  if (!header) return [];
  return header
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { tag, quality: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .sort((a, b) => b.quality - a.quality)
    .map((entry) => entry.tag);
}
