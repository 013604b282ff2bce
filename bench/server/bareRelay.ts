/**
 * The reference for the capacity bench: a bare Socket.IO relay. A socket joins a room by name,
 * and every `score` event is re-broadcast to the others in that room as it came, with the
 * sender's id: no validation, no rate limit, no acknowledgement, no coalescing, no game state.
 * (The comparison's `award` is answered to its sender at once, and that is all.)
 *
 * Tells the parent `{ type: "ready", port }` over IPC and answers its memory requests (protocol.ts);
 * stops on SIGTERM or when the parent goes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { answerMemoryRequests } from "./protocol";

const httpServer = createServer();
const io = new Server(httpServer, { serveClient: false });

io.on("connection", (socket) => {
  let room: string | null = null;
  let member = "";
  socket.on("join", (payload: { room: string; member: string }, ack?: () => void) => {
    room = payload.room;
    member = payload.member;
    void socket.join(room);
    ack?.();
  });
  socket.on("score", (payload: unknown) => {
    if (room) socket.to(room).emit("score", { from: member, payload });
  });
  // The comparison's party workload (section.ts): an award answered to its sender, nothing more.
  socket.on("award", (_payload: unknown, ack?: (answer: { ok: boolean }) => void) => {
    ack?.({ ok: room !== null });
  });
});

answerMemoryRequests();
httpServer.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "ready", port: (httpServer.address() as AddressInfo).port });
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 3_000).unref();
  void io.close().then(() => process.exit(0));
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("disconnect", stop);
