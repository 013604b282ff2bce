/**
 * The host's last playlist settings, per room, for this tab: the picker is rebuilt after every
 * game (the room goes back to chatting with no game), and must come back as the host left it,
 * not reset to the defaults. sessionStorage: survives a reload, not shared between tabs.
 */
import { playlistSettingsSchema, type PlaylistSettings } from "@/core/playlist";

const KEY_PREFIX = "poseparty:playlist:";

export function rememberedPlaylist(roomCode: string): PlaylistSettings | null {
  try {
    const stored = window.sessionStorage.getItem(KEY_PREFIX + roomCode);
    if (!stored) return null;
    const parsed = playlistSettingsSchema.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // storage blocked or a damaged value: the defaults will do
  }
}

export function rememberPlaylist(roomCode: string, settings: PlaylistSettings): void {
  try {
    window.sessionStorage.setItem(KEY_PREFIX + roomCode, JSON.stringify(settings));
  } catch {
    // Private mode with no storage: the settings last as long as this screen.
  }
}
