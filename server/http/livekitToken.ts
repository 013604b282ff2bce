/**
 * POST /api/livekit/token: a LiveKit access token for a current member of a room, and nobody
 * else. The session token (given at join, kept per tab) proves membership; the token's grants
 * name exactly that room, the identity is the player id, the lifetime is short.
 *
 * Answers: 200 { url, token, identity } · 400 bad body · 403 not a member · 405 not POST ·
 * 413 body over 2 KB · 415 not JSON · 503 LiveKit not configured (built-in calls run instead).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
// Types only: the SDK is loaded at the first token request, so a server without LiveKit never
// loads it (about 70 ms and 10 MiB at every start; bench/README.md, "Whole app idle").
import type { TrackSource, VideoGrant } from "livekit-server-sdk";
import { z } from "zod";
import { roomCodeSchema } from "@/core/protocol";
import { wellFormedDeep } from "@/core/text";
import type { RouteHandler } from "./requestHandler";
import type { RoomHub } from "../realtime/roomHub";

export const LIVEKIT_TOKEN_PATH = "/api/livekit/token";
/** Enough to connect; LiveKit refreshes the token of a connected participant by itself. */
export const LIVEKIT_TOKEN_TTL_S = 10 * 60;
export const MAX_TOKEN_BODY_BYTES = 2 * 1024;

export interface LivekitTokenHandlerOptions {
  /** null: LiveKit is not configured, the route answers 503. */
  livekit: { url: string; apiKey: string; apiSecret: string } | null;
  /** The hub, or with REDIS_URL the router that asks the room's owning process. */
  hub: {
    memberForSession(
      ...args: Parameters<RoomHub["memberForSession"]>
    ): ReturnType<RoomHub["memberForSession"]> | Promise<ReturnType<RoomHub["memberForSession"]>>;
  };
}

export interface LivekitTokenAnswer {
  url: string;
  token: string;
  identity: string;
}

const bodySchema = z.strictObject({
  roomCode: roomCodeSchema,
  sessionToken: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "malformed session token"),
});

/** What a room member may do in LiveKit: join its own room, send camera and microphone, receive. */
export function memberGrant(roomCode: string, trackSource: typeof TrackSource): VideoGrant {
  return {
    room: roomCode,
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    // Game traffic goes through our own server; nothing needs LiveKit data channels.
    canPublishData: false,
    canPublishSources: [trackSource.CAMERA, trackSource.MICROPHONE],
  };
}

export function createLivekitTokenHandler(options: LivekitTokenHandlerOptions): RouteHandler {
  return async (req, res) => {
    if ((req.url ?? "").split(/[?#]/, 1)[0] !== LIVEKIT_TOKEN_PATH) return false;
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      sendJson(res, 405, { error: "method_not_allowed", message: "Use POST." });
      return true;
    }
    const { livekit } = options;
    if (!livekit) {
      sendJson(res, 503, {
        error: "not_configured",
        message: "LiveKit is not configured on this server (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET): calls use the built-in peer-to-peer mode.",
      });
      return true;
    }
    const contentType = (req.headers["content-type"] ?? "").split(";", 1)[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      sendJson(res, 415, { error: "unsupported_media_type", message: "Send Content-Type: application/json." });
      return true;
    }
    const raw = await readCappedBody(req, MAX_TOKEN_BODY_BYTES);
    if (raw === TOO_LARGE) {
      // The rest of the body is not read: close the connection rather than parse it as a next request.
      res.setHeader("Connection", "close");
      sendJson(res, 413, { error: "payload_too_large", message: `The body must be at most ${MAX_TOKEN_BODY_BYTES} bytes.` });
      return true;
    }
    let json: unknown;
    try {
      // Like every socket payload: unpaired surrogates ("\ud800" escapes) become U+FFFD (core/text.ts).
      json = wellFormedDeep(JSON.parse(raw) as unknown);
    } catch {
      sendJson(res, 400, { error: "invalid_body", message: "The body is not valid JSON." });
      return true;
    }
    const parsed = bodySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
      sendJson(res, 400, { error: "invalid_body", message: `${where}: ${issue?.message ?? "rejected"} (expected { roomCode, sessionToken })` });
      return true;
    }
    const member = await options.hub.memberForSession(parsed.data.roomCode, parsed.data.sessionToken);
    if (!member) {
      // Same answer for an unknown room and a wrong token: nothing to learn by probing.
      sendJson(res, 403, { error: "not_a_member", message: "Only a current member of this room can join its call." });
      return true;
    }
    const { AccessToken, TrackSource } = await import("livekit-server-sdk");
    const accessToken = new AccessToken(livekit.apiKey, livekit.apiSecret, {
      identity: member.playerId,
      name: member.nickname,
      ttl: LIVEKIT_TOKEN_TTL_S,
    });
    accessToken.addGrant(memberGrant(member.roomCode, TrackSource));
    const answer: LivekitTokenAnswer = { url: livekit.url, token: await accessToken.toJwt(), identity: member.playerId };
    sendJson(res, 200, answer);
    return true;
  };
}

const TOO_LARGE = Symbol("too large");

/** The body as text, or TOO_LARGE as soon as it passes the cap (the declared length is checked first). */
async function readCappedBody(req: IncomingMessage, maxBytes: number): Promise<string | typeof TOO_LARGE> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return TOO_LARGE;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) return void chunks.push(chunk);
      // Keep draining without storing (destroying the request would kill the socket before the 413).
      req.off("data", onData);
      req.resume();
      resolve(TOO_LARGE);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
