/**
 * The security headers every response carries, built by a pure function so the policy can be
 * unit-tested line by line. The custom server sets them before Next renders (requestHandler.ts).
 *
 * Content-Security-Policy, directive by directive, and why:
 * - script-src: a fresh nonce per response plus 'strict-dynamic'. Next reads the nonce from the
 *   request's own `content-security-policy` header and puts it on its inline and chunk scripts;
 *   'strict-dynamic' lets those trusted scripts load the rest (Next's lazy chunks, and the vision
 *   runtime, which tasks-vision adds as a `<script src="blob:…">` built from the bytes the
 *   preloader checked against the manifest's sha256). 'self' and blob: are only the fallback for
 *   browsers without 'strict-dynamic' (CSP3 browsers ignore them next to it).
 *   'wasm-unsafe-eval' lets the WASM runtime compile; it does not allow JS eval.
 *   Development adds 'unsafe-eval' (React's dev tools rebuild server stacks with eval).
 * - worker-src blob:: the sha256 hasher runs in a Worker made from a Blob.
 * - connect-src: this origin (HTTP and the Socket.IO WebSocket, named explicitly as ws:/wss: because
 *   older Safari does not let 'self' cover WebSockets), blob: and data: (the runtime's .wasm is
 *   fetched from a blob: URL), the LiveKit server (its signalling WebSocket and HTTP checks) and
 *   the host in MODEL_BASE_URL. TURN/STUN servers are not listed: ICE traffic is not governed by
 *   CSP, the page never fetches them. tasks-vision's usage telemetry to a Google host is blocked.
 * - style-src 'unsafe-inline': React renders style="…" attributes (progress bars, tiles); a
 *   nonce cannot cover attributes, and a nonce next to 'unsafe-inline' would switch it off.
 */
import { randomBytes } from "node:crypto";

export interface SecurityPolicySettings {
  /** NODE_ENV=development: Next's dev runtime needs 'unsafe-eval'. */
  development: boolean;
  /** LIVEKIT_URL (wss://, ws://, https:// or http://), when calls go through LiveKit. */
  livekitUrl?: string;
  /** MODEL_BASE_URL, when the vision files come from another host. */
  modelBaseUrl?: string;
}

export interface SecurityHeaderRequest {
  /** A fresh, unguessable value for this response (createNonce). */
  nonce: string;
  /** The request's Host header: the origin Socket.IO's WebSocket connects back to. */
  host?: string;
}

/** Features the page may use; everything else a phone could grant is refused for every frame. */
export const PERMISSIONS_POLICY = [
  "camera=(self)",
  "microphone=(self)",
  "screen-wake-lock=(self)",
  "fullscreen=(self)",
  "autoplay=(self)",
  "display-capture=()",
  "geolocation=()",
  "payment=()",
  "usb=()",
  "serial=()",
  "hid=()",
  "midi=()",
].join(", ");

/** 128 random bits, base64 (the characters Next's nonce pattern accepts). */
export function createNonce(): string {
  return randomBytes(16).toString("base64");
}

export function buildSecurityHeaders(settings: SecurityPolicySettings, request: SecurityHeaderRequest): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(settings, request),
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    // For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
}

export function contentSecurityPolicy(settings: SecurityPolicySettings, { nonce, host }: SecurityHeaderRequest): string {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(nonce)) throw new Error("a CSP nonce must be base64");
  const scriptSources = ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", "'wasm-unsafe-eval'", "blob:"];
  if (settings.development) scriptSources.push("'unsafe-eval'");
  const connectSources = ["'self'", ...webSocketOrigins(host), "blob:", "data:", ...originsOf(settings.livekitUrl), ...originsOf(settings.modelBaseUrl)];
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": scriptSources,
    "worker-src": ["'self'", "blob:"],
    "connect-src": unique(connectSources),
    "img-src": ["'self'", "blob:", "data:"],
    "media-src": ["'self'", "blob:", "data:"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'", "data:"],
    "manifest-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(" ")}`)
    .join("; ");
}

// Host names and IPv4/IPv6 literals with an optional port; anything else (a forged header with
// spaces or semicolons) would let a request rewrite its own policy, so it is left out.
const HOST_PATTERN = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function webSocketOrigins(host: string | undefined): string[] {
  if (!host || !HOST_PATTERN.test(host)) return [];
  return [`ws://${host}`, `wss://${host}`];
}

/**
 * The origins a configured URL needs: a LiveKit client opens wss:// for signalling and also
 * calls the same host over https:// (and vice versa), so both schemes of the pair are allowed.
 */
function originsOf(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const secure = parsed.protocol === "wss:" || parsed.protocol === "https:";
  const insecure = parsed.protocol === "ws:" || parsed.protocol === "http:";
  if (!secure && !insecure) return [];
  return secure ? [`https://${parsed.host}`, `wss://${parsed.host}`] : [`http://${parsed.host}`, `ws://${parsed.host}`];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
