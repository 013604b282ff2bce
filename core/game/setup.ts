/** Turns the host's choice into a concrete game: settings plus one target per round. */
import { STANDARD_TIME_SCALE, TEST_PLAYLISTS, type GameSetup, type PlaylistSettings, type TestPlaylistId, type TimeScale } from "../playlist";
import { pickTargets } from "../targets/pick";

export type GameChoice = ({ playlist: PlaylistSettings } | { testPlaylist: TestPlaylistId }) & { timeScale?: TimeScale };

export function chooseGameSetup(choice: GameChoice, seed: number): GameSetup {
  const timeScale = choice.timeScale ?? STANDARD_TIME_SCALE;
  if ("testPlaylist" in choice) {
    const testPlaylist = TEST_PLAYLISTS[choice.testPlaylist];
    const { settings } = testPlaylist;
    const targets = testPlaylist.targets ?? pickTargets(settings.roundKinds, settings.rounds, settings.difficulty, seed, { includeTestOnly: false });
    return { settings, testPlaylistId: choice.testPlaylist, timeScale, targets: [...targets] };
  }
  const { playlist } = choice;
  const targets = pickTargets(playlist.roundKinds, playlist.rounds, playlist.difficulty, seed, { includeTestOnly: false });
  return { settings: playlist, testPlaylistId: null, timeScale, targets: [...targets] };
}
