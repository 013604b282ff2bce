import type { MessageKey } from "@/client/messages";
import type { ClientErrorCode } from "@/client/socket";

/** Maps an error code from the server (or the connection) to the sentence a player reads. */
export function errorMessageKey(code: ClientErrorCode): MessageKey {
  switch (code) {
    case "nickname_empty":
    case "nickname_too_long":
    case "room_not_found":
    case "room_full":
    case "rate_limited":
    case "too_many_joins":
    case "already_in_room":
    case "server_unreachable":
    case "server_shutting_down":
    case "not_host":
    case "test_playlists_disabled":
      return `error_${code}`;
    default:
      return "error_generic";
  }
}
