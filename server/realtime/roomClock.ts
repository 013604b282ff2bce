/**
 * Every timer of one room: seat grace periods, the lobby deadline, the all-ready pause, the end
 * of the match, the scoreboard and meter ticks. Disposing the room clears them all at once, so a
 * closed room can never fire into a new one (or keep the process alive).
 */
export type TimerHandle = { readonly id: number };

export class RoomClock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;
  private disposed = false;

  /** Server time (ms since the epoch): the clock the timeline and the rules use. */
  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = { id: this.nextId++ };
    if (this.disposed) return handle;
    const timer = setTimeout(
      () => {
        this.timers.delete(handle.id);
        callback();
      },
      Math.max(0, delayMs),
    );
    this.timers.set(handle.id, timer);
    return handle;
  }

  setInterval(callback: () => void, everyMs: number): TimerHandle {
    const handle = { id: this.nextId++ };
    if (this.disposed) return handle;
    this.timers.set(handle.id, setInterval(callback, everyMs));
    return handle;
  }

  clear(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    const timer = this.timers.get(handle.id);
    if (timer === undefined) return;
    clearTimeout(timer);
    clearInterval(timer);
    this.timers.delete(handle.id);
  }

  /** Timers still armed (tests check that a disposed room leaves none). */
  get pending(): number {
    return this.timers.size;
  }

  /** Clears every timer; later ones are never armed. */
  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers.clear();
  }
}
