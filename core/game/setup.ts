/** Turns the host's choice into a concrete game: settings plus one target per round. */
import { TEST_PLAYLISTS, type GameSetup, type PlaylistSettings, type TestPlaylistId } from "../playlist";
import { pickTargets } from "../targets/pick";

export function chooseGameSetup(choice: { playlist: PlaylistSettings } | { testPlaylist: TestPlaylistId }, seed: number): GameSetup {
  if ("testPlaylist" in choice) {
    const testPlaylist = TEST_PLAYLISTS[choice.testPlaylist];
    const { settings } = testPlaylist;
    const targets = testPlaylist.targets ?? pickTargets(settings.roundKinds, settings.rounds, settings.difficulty, seed, { includeTestOnly: false });
    return { settings, testPlaylistId: choice.testPlaylist, targets: [...targets] };
  }
  const { playlist } = choice;
  const targets = pickTargets(playlist.roundKinds, playlist.rounds, playlist.difficulty, seed, { includeTestOnly: false });
  return { settings: playlist, testPlaylistId: null, targets: [...targets] };
}
