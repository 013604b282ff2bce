/** This page's best-moment keeper, wired to the camera, the room and the sharing setting. */
import { getCameraVideo } from "../media/camera";
import { roomStoreState } from "../roomStore";
import { BestMomentKeeper, captureStill } from "./bestMoment";
import { momentSharing } from "./sharingPreference";

/** The camera is on in the call as the room knows it: friends see this picture live. */
function cameraOnInCall(): boolean {
  const { room, seat } = roomStoreState();
  return room?.members.find((member) => member.id === seat?.playerId)?.media.video ?? false;
}

export const pageBestMoment = new BestMomentKeeper({
  now: () => performance.now(),
  mayCapture: () => momentSharing.isSharing() && cameraOnInCall(),
  capture: () => captureStill(getCameraVideo()),
});
