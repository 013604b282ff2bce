/**
 * Hands the running server's services to Next.js server components
 * (e.g. /history). Next bundles pages separately from the custom server, so
 * a module-level variable would be a different copy: the process-wide
 * globalThis under a private symbol is the one place both see.
 */
import type { IceServerConfig } from "./config";
import type { MatchStore } from "./storage/matchStore";

export interface AppServices {
  store: MatchStore;
  modelBaseUrl: string | undefined;
  /**
   * HTTPS=lan: the page is also served over plain HTTP on the same port (it then explains and
   * links to https://), and invite links from a page opened on this computer (localhost) use
   * inviteOrigin, the first LAN address (null when the computer has none). Unset otherwise.
   */
  lan?: LanPageSettings;
  /** The video call: which provider runs and the ICE servers for a page (fresh TURN credentials each time). */
  call: { provider: "mesh" | "livekit"; iceServers: () => IceServerConfig[] };
}

export interface LanPageSettings {
  inviteOrigin: string | null;
}

const servicesKey = Symbol.for("poseparty.services");
type ServiceHolder = { [servicesKey]?: AppServices };

export function publishAppServices(services: AppServices | undefined): void {
  (globalThis as ServiceHolder)[servicesKey] = services;
}

export function getAppServices(): AppServices {
  const services = (globalThis as ServiceHolder)[servicesKey];
  if (!services) throw new Error("PoseParty services are not running: start the app with `npm start` (server/main.ts).");
  return services;
}

/** HTTPS=lan settings for pages; null when the server does not run (next build) or runs without it. */
export function lanPageSettings(): LanPageSettings | null {
  const services = (globalThis as ServiceHolder)[servicesKey];
  return services?.lan ? { inviteOrigin: services.lan.inviteOrigin } : null;
}
