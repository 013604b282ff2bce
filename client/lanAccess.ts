/**
 * Which address to hand to friends, and where an insecure page should send its reader, for a
 * party on the local network (HTTPS=lan). Pure functions of the page's location and what the
 * server says, so they are unit-tested without a browser.
 */

/** From the server (server/services.ts): set only when it runs with HTTPS=lan. */
export interface LanPageSettings {
  /** https://<first LAN IPv4>:<port>, or null when the computer has no network address. */
  inviteOrigin: string | null;
}

export interface PageLocation {
  protocol: string;
  host: string;
  hostname: string;
  origin: string;
  pathname: string;
  search: string;
}

/** localhost, *.localhost, 127.0.0.0/8 and [::1]: addresses that mean "this computer" and nobody else's. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || /^127(?:\.\d{1,3}){3}$/.test(host) || host === "[::1]" || host === "::1";
}

/**
 * The origin of the link friends get. A page opened on the laptop itself (localhost) would hand
 * out an address that points at each friend's own phone: with HTTPS=lan the LAN address replaces
 * it. A page opened over plain HTTP on the LAN hands out the https:// address of the same host
 * (HTTPS=lan serves both on one port). Otherwise the page's own origin, which is what a
 * deployment behind a domain wants.
 */
export function inviteOrigin(location: PageLocation, lan: LanPageSettings | null): string {
  if (!lan) return location.origin;
  if (isLoopbackHost(location.hostname)) return lan.inviteOrigin ?? location.origin;
  if (location.protocol === "http:") return `https://${location.host}`;
  return location.origin;
}

/** For a page without a secure context: the same page over HTTPS, when this server serves it (HTTPS=lan). */
export function secureAlternative(location: PageLocation, lan: LanPageSettings | null): string | null {
  if (!lan || location.protocol !== "http:") return null;
  return `https://${location.host}${location.pathname}${location.search}`;
}
