"use client";
import { useEffect } from "react";
import { applyMotionPreference } from "@/client/motionPreference";

/** Mounted once in the layout: keeps <html data-motion> on the player's motion setting. */
export function MotionPreference() {
  useEffect(() => applyMotionPreference(), []);
  return null;
}
