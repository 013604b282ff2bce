/**
 * Loaded with `node --import` into the production server (dist/server/main.mjs) by the idle
 * section (appIdle.ts), bundled to dist/bench/memory-probe.mjs: answers the bench's memory
 * requests over IPC (forced GC with --expose-gc), which main.mjs itself has no reason to do.
 */
import { answerMemoryRequests } from "./protocol";

if (process.send) answerMemoryRequests();
