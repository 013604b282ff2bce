"use client";
import { memo, useEffect, useRef, type ReactNode } from "react";
import { getCameraVideo } from "@/client/media/camera";
import { useCamera } from "@/client/media/useCamera";
import { useI18n } from "@/client/i18n";
import type { MessageKey } from "@/client/messages";

const failureText: Record<"denied" | "unavailable" | "unsupported", MessageKey> = {
  denied: "cameraDenied",
  unavailable: "cameraUnavailable",
  unsupported: "cameraUnsupported",
};

/**
 * The player's own camera, mirrored like a mirror. It adopts the one shared <video> element.
 * Memoized: during a game its parent redraws ten times a second, the camera view need not.
 */
export const SelfView = memo(function SelfView({ size = "small", overlay }: { size?: "small" | "large"; overlay?: ReactNode }) {
  const { t } = useI18n();
  const camera = useCamera();
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const video = getCameraVideo();
    const host = container.current;
    if (camera.status !== "ready" || !video || !host) return;
    host.prepend(video);
    void video.play().catch(() => undefined);
    return () => video.remove();
  }, [camera.status]);

  return (
    <figure className={`self-view self-view-${size}`} data-testid="self-view" data-camera={camera.status}>
      <div ref={container} className="self-view-video" />
      {overlay}
      {camera.status === "requesting" && <p className="hint">{t("cameraStarting")}</p>}
      {camera.status === "failed" && (
        <p className="form-error" role="alert">
          {t(failureText[camera.reason])}
        </p>
      )}
      <figcaption>{t("selfView")}</figcaption>
    </figure>
  );
});
