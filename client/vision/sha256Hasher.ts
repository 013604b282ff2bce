/**
 * sha256 of downloaded files without blocking the main thread.
 *
 * Measured in Chromium 156 here: `crypto.subtle.digest("SHA-256", ...)` computes synchronously
 * inside the call on the calling thread (50 MB: 154 ms before the promise is even returned;
 * the 13 MB runtime ~40 ms, pose_heavy ~95 ms), and a pure-JS hash (@noble/hashes) was 10-20x
 * slower still. So the digest runs in a tiny dedicated worker (inline Blob URL: no bundler
 * support needed), and the bytes are transferred there and back (no copies).
 *
 * If the worker cannot start (no Worker, or a CSP without `worker-src blob:`), the digest falls
 * back to the main thread, in a task of its own. A ping proves the worker runs before any real
 * buffer is transferred to it (a transferred buffer is gone from this side).
 */

export interface Sha256Result {
  sha256: string;
  /** The same bytes (transferred back from the worker: the input array is detached). */
  bytes: Uint8Array<ArrayBuffer>;
}

export interface Sha256Hasher {
  digest(bytes: Uint8Array<ArrayBuffer>): Promise<Sha256Result>;
  /** Where digests run; "main" until the worker answered its ping, and after any worker failure. */
  readonly where: "worker" | "main";
  close(): void;
}

const WORKER_SOURCE = `"use strict";
self.onmessage = async (event) => {
  const { id, buffer } = event.data;
  if (!buffer) { self.postMessage({ id }); return; }
  try {
    const digest = await crypto.subtle.digest("SHA-256", buffer);
    self.postMessage({ id, buffer, digest }, [buffer, digest]);
  } catch (error) {
    self.postMessage({ id, buffer, error: String(error) }, [buffer]);
  }
};`;

/** How long to wait for the worker's first answer before hashing on the main thread instead. */
const PING_TIMEOUT_MS = 3000;

interface WorkerReply {
  id: number;
  buffer?: ArrayBuffer;
  digest?: ArrayBuffer;
  error?: string;
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/** Starts the worker at once (it boots while the downloads run); close() when done. */
export function createSha256Hasher(): Sha256Hasher {
  let worker: Worker | null = null;
  let workerUrl: string | null = null;
  let where: "worker" | "main" = "main";
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const failWorker = (reason: string): void => {
    where = "main";
    worker?.terminate();
    worker = null;
    for (const waiter of pending.values()) waiter.reject(new Error(`sha256 worker failed: ${reason}`));
    pending.clear();
  };
  const send = (message: { id: number; buffer?: ArrayBuffer }, transfer: Transferable[]): Promise<WorkerReply> =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (!worker) return reject(new Error("sha256 worker is not running"));
      pending.set(message.id, { resolve, reject });
      worker.postMessage(message, transfer);
    });

  let ready: Promise<boolean> = Promise.resolve(false);
  if (typeof Worker === "function" && typeof Blob === "function" && typeof URL.createObjectURL === "function") {
    try {
      workerUrl = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
      worker = new Worker(workerUrl);
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const waiter = pending.get(event.data.id);
        pending.delete(event.data.id);
        waiter?.resolve(event.data);
      };
      worker.onerror = (event) => failWorker(event.message || "error event");
      const ping = send({ id: nextId++ }, []).then(
        () => true,
        () => false,
      );
      const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), PING_TIMEOUT_MS));
      ready = Promise.race([ping, timeout]).then((ok) => {
        if (ok) where = "worker";
        else failWorker("no answer to the ping");
        return ok;
      });
    } catch {
      failWorker("could not start");
    }
  }

  return {
    get where() {
      return where;
    },
    async digest(bytes) {
      const usable = await ready;
      // Only whole buffers can be transferred; anything else is hashed here.
      if (!usable || !worker || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) {
        // In a task of its own, not at the end of the one that read the last chunk.
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        return { sha256: await sha256OnThisThread(bytes), bytes };
      }
      const reply = await send({ id: nextId++, buffer: bytes.buffer }, [bytes.buffer]);
      if (!reply.buffer) throw new Error("sha256 worker returned no buffer");
      if (reply.error !== undefined || !reply.digest) throw new Error(`sha256 failed: ${reply.error ?? "no digest"}`);
      return { sha256: toHex(reply.digest), bytes: new Uint8Array(reply.buffer) };
    },
    close() {
      failWorker("closed");
      if (workerUrl) URL.revokeObjectURL(workerUrl);
      workerUrl = null;
    },
  };
}

/** crypto.subtle on the current thread (in Chromium: synchronous, ~3 ms per MB on the test machine). */
export async function sha256OnThisThread(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

function toHex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
