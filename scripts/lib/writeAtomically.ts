import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";

export interface WriteAtomicallyOptions {
  /**
   * Also flush the file and its folder to the disk (fsync) before answering, so the write
   * survives a power cut or a crash of the machine, not only of the process. Install-time builds
   * do not need it; the server's pending match saves (server/storage/pendingMatches.ts) do.
   */
  durable?: boolean;
  /** File mode of a new file (default 0o666 minus the umask). */
  mode?: number;
}

/** Writes through a temporary sibling and a rename, so a reader never sees half a file. */
export async function writeAtomically(filePath: string, bytes: Uint8Array | string, options: WriteAtomicallyOptions = {}): Promise<void> {
  const temporaryPath = path.join(path.dirname(filePath), `.${path.basename(filePath)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const file = await open(temporaryPath, "w", options.mode);
    try {
      await file.writeFile(bytes);
      if (options.durable) await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporaryPath, filePath);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
  if (options.durable) await syncFolder(path.dirname(filePath));
}

/** The rename itself is durable only once the folder's entry is on disk. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a folder (EINVAL/EISDIR); the file itself is synced.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM") throw error;
  } finally {
    await handle.close();
  }
}
