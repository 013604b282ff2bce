/**
 * A tiny STUN binding client (RFC 5389) for the network lab: which public address and port a
 * NAT gives a socket, seen from one or more STUN servers. The lab runs it inside a namespace
 * (`ip netns exec NS tsx e2e/support/stunProbe.ts '<json>'`), because a process cannot open one
 * socket in another namespace; it prints one JSON line with the answers.
 *
 * UDP: ONE socket asks every target in turn, so the answers compare the mappings the NAT made
 * for the same inside address and port towards different destinations (RFC 4787: the same
 * mapped port everywhere is endpoint-independent mapping, a new one per destination is
 * address-and-port-dependent, "symmetric"). TCP: one connection per target.
 */
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface StunTarget {
  host: string;
  port: number;
}

export interface StunAnswer {
  target: StunTarget;
  /** XOR-MAPPED-ADDRESS of the response; null without an answer in time. */
  mapped: { address: string; port: number } | null;
  /** From the first request (or the connect, over TCP) to the answer. */
  rttMs?: number;
  error?: string;
}

export interface StunProbeRequest {
  udp?: StunTarget[];
  tcp?: StunTarget[];
  /** Per target (default 2000 ms); a UDP request is sent again after 250 and 750 ms. */
  timeoutMs?: number;
}

export interface StunProbeResult {
  udp: StunAnswer[];
  tcp: StunAnswer[];
  /** The UDP socket's own (inside) port. */
  udpLocalPort: number | null;
}

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const MAPPED_ADDRESS = 0x0001;
const XOR_MAPPED_ADDRESS = 0x0020;

export function bindingRequest(transactionId: Buffer): Buffer {
  const message = Buffer.alloc(20);
  message.writeUInt16BE(BINDING_REQUEST, 0);
  message.writeUInt16BE(0, 2);
  message.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(message, 8);
  return message;
}

/** The mapped address of a binding success response for this transaction, or null. */
export function parseBindingResponse(message: Buffer, transactionId: Buffer): { address: string; port: number } | null {
  if (message.length < 20 || message.readUInt16BE(0) !== BINDING_SUCCESS || message.readUInt32BE(4) !== MAGIC_COOKIE) return null;
  if (!message.subarray(8, 20).equals(transactionId)) return null;
  const end = Math.min(message.length, 20 + message.readUInt16BE(2));
  let plain: { address: string; port: number } | null = null;
  for (let offset = 20; offset + 4 <= end;) {
    const type = message.readUInt16BE(offset);
    const length = message.readUInt16BE(offset + 2);
    const value = message.subarray(offset + 4, offset + 4 + length);
    // IPv4 only: the lab has no IPv6.
    if ((type === XOR_MAPPED_ADDRESS || type === MAPPED_ADDRESS) && length >= 8 && value[1] === 0x01) {
      const xor = type === XOR_MAPPED_ADDRESS;
      const port = value.readUInt16BE(2) ^ (xor ? MAGIC_COOKIE >>> 16 : 0);
      const raw = value.readUInt32BE(4) ^ (xor ? MAGIC_COOKIE : 0);
      const address = [raw >>> 24, (raw >>> 16) & 0xff, (raw >>> 8) & 0xff, raw & 0xff].join(".");
      if (xor) return { address, port };
      plain = { address, port };
    }
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  return plain;
}

async function probeUdp(targets: StunTarget[], timeoutMs: number): Promise<{ answers: StunAnswer[]; localPort: number | null }> {
  if (targets.length === 0) return { answers: [], localPort: null };
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  const localPort = socket.address().port;
  const answers: StunAnswer[] = [];
  try {
    for (const target of targets) {
      const transactionId = randomBytes(12);
      const request = bindingRequest(transactionId);
      const started = performance.now();
      const mapped = await new Promise<StunAnswer["mapped"]>((resolve) => {
        const timers: NodeJS.Timeout[] = [];
        const finish = (answer: StunAnswer["mapped"]) => {
          timers.forEach(clearTimeout);
          socket.off("message", onMessage);
          resolve(answer);
        };
        const onMessage = (message: Buffer) => {
          const answer = parseBindingResponse(message, transactionId);
          if (answer) finish(answer);
        };
        socket.on("message", onMessage);
        for (const delay of [0, 250, 750]) timers.push(setTimeout(() => socket.send(request, target.port, target.host), delay));
        timers.push(setTimeout(() => finish(null), timeoutMs));
      });
      answers.push(mapped ? { target, mapped, rttMs: Math.round(performance.now() - started) } : { target, mapped });
    }
  } finally {
    socket.close();
  }
  return { answers, localPort };
}

function probeTcp(target: StunTarget, timeoutMs: number): Promise<StunAnswer> {
  return new Promise((resolve) => {
    const transactionId = randomBytes(12);
    const socket = connect({ host: target.host, port: target.port });
    let received = Buffer.alloc(0);
    let sent = 0;
    const finish = (mapped: StunAnswer["mapped"], error?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error || !mapped) resolve({ target, mapped, error: error ?? "no binding in the answer" });
      else resolve({ target, mapped, rttMs: Math.round(performance.now() - sent) });
    };
    const timer = setTimeout(() => finish(null, "timeout"), timeoutMs);
    socket.on("connect", () => {
      sent = performance.now();
      socket.write(bindingRequest(transactionId));
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // STUN over TCP is not framed: a message is its 20-byte header plus the length it names.
      if (received.length >= 20 && received.length >= 20 + received.readUInt16BE(2)) finish(parseBindingResponse(received, transactionId));
    });
    socket.on("error", (err) => finish(null, err.message));
  });
}

export async function stunProbe(request: StunProbeRequest): Promise<StunProbeResult> {
  const timeoutMs = request.timeoutMs ?? 2_000;
  const udp = await probeUdp(request.udp ?? [], timeoutMs);
  const tcp: StunAnswer[] = [];
  for (const target of request.tcp ?? []) tcp.push(await probeTcp(target, timeoutMs));
  return { udp: udp.answers, tcp, udpLocalPort: udp.localPort };
}

// Run as a script (inside a namespace): the request as JSON in the first argument.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const request = JSON.parse(process.argv[2] ?? "{}") as StunProbeRequest;
  void stunProbe(request).then((result) => process.stdout.write(`${JSON.stringify(result)}\n`));
}
