/**
 * Who is on the other end of a request, and which page opened it: the client address (for
 * per-address limits) and the origin check for Socket.IO handshakes.
 *
 * Behind a reverse proxy the TCP peer is the proxy, and the client is the hop the proxy appended
 * to X-Forwarded-For. Everything to the left of it was written by the client and proves nothing,
 * so with TRUST_PROXY the address is read from the right (proxy-addr, as Express's `trust proxy`):
 * a hop count N takes the N-th entry from the right, a list of proxy addresses skips those hops.
 */
import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

/** TRUST_PROXY as config.ts parses it: a hop count (0 = no proxy) or a list of proxy addresses. */
export type TrustProxySetting = number | readonly string[];

export type TrustFunction = (address: string, hop: number) => boolean;

export function compileTrust(setting: TrustProxySetting): TrustFunction {
  if (typeof setting === "number") {
    // hop 0 is the TCP peer; trusting hops 0..N-1 makes the N-th entry from the right the client.
    return (_address, hop) => hop < setting;
  }
  const trusted = proxyaddr.compile([...setting]);
  return (address, hop) => trusted(address, hop);
}

/** The client's address as the trusted proxy saw it (the TCP peer without a trusted proxy). */
export function clientAddress(req: IncomingMessage, trust: TrustFunction): string {
  try {
    return proxyaddr(req, trust);
  } catch {
    // A request whose socket is already gone has no address; never let that throw at the boundary.
    return req.socket?.remoteAddress ?? "unknown";
  }
}

export type OriginVerdict = { ok: true; reason: "no_origin" | "same_origin" | "allowed_origin" } | { ok: false; origin: string };

/**
 * Whether a page at the request's Origin may open a Socket.IO session.
 *
 * - No Origin header: allowed. Browsers always send Origin on WebSocket handshakes and on
 *   cross-origin requests, so a request without one comes from a non-browser client (tests, the
 *   bench, curl: they can forge any header anyway) or is the app's own same-origin polling GET
 *   (browsers omit Origin there). A foreign web page cannot drop the header.
 * - Same origin: the Origin's host equals the Host header. With a trusted proxy (the TCP peer is
 *   trusted), X-Forwarded-Host and X-Forwarded-Proto are what the browser used, so the Origin must
 *   match those (scheme included); without one, forwarded headers are ignored.
 * - Otherwise only the configured ALLOWED_ORIGINS (already normalised to `scheme://host[:port]`).
 */
export function checkOrigin(req: IncomingMessage, trust: TrustFunction, allowedOrigins: readonly string[]): OriginVerdict {
  const header = req.headers.origin;
  if (header === undefined) return { ok: true, reason: "no_origin" };
  const origin = parseOrigin(header);
  if (!origin) return { ok: false, origin: header.slice(0, 200) };
  if (allowedOrigins.includes(origin.origin)) return { ok: true, reason: "allowed_origin" };

  const peer = req.socket?.remoteAddress;
  const proxied = peer !== undefined && trust(peer, 0);
  const forwardedHost = proxied ? firstValue(req.headers["x-forwarded-host"]) : undefined;
  const forwardedProto = proxied ? firstValue(req.headers["x-forwarded-proto"])?.toLowerCase() : undefined;
  const host = forwardedHost ?? req.headers.host;
  if (!host) return { ok: false, origin: origin.origin };
  if (forwardedProto !== undefined && `${forwardedProto}:` !== origin.protocol) return { ok: false, origin: origin.origin };
  // Parsed with the Origin's own scheme, so default ports compare equal (`example.com` = `example.com:443` over https).
  const expected = parseOrigin(`${origin.protocol}//${host}`);
  return expected && expected.host === origin.host ? { ok: true, reason: "same_origin" } : { ok: false, origin: origin.origin };
}

function parseOrigin(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The first entry of a forwarded header (the one the front proxy set), as Express reads them. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(",")[0]?.trim();
  return first ? first : undefined;
}
