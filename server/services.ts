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
  /** The video call: which provider runs and the ICE servers for a page (fresh TURN credentials each time). */
  call: { provider: "mesh" | "livekit"; iceServers: () => IceServerConfig[] };
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
