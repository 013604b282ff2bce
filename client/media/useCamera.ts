"use client";
import { useSyncExternalStore } from "react";
import { getCameraState, subscribeCamera, type CameraState } from "./camera";

const idle: CameraState = { status: "idle" };

export function useCamera(): CameraState {
  return useSyncExternalStore(subscribeCamera, getCameraState, () => idle);
}
