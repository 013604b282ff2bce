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

  /**
   * `callback` every `everyMs` on a fixed grid whose first tick is `firstDelayMs` from now. Not
   * setInterval: Node re-arms every interval that fired in one turn of the event loop from that
   * turn's start, so under load the rooms' tickers fall into step and fire in one burst (stalling
   * everything behind it, award acks included). On its own grid a room keeps its phase; a tick
   * that comes late does not move the next one, and missed ticks are skipped, never bunched.
   */
  setRepeating(callback: () => void, everyMs: number, firstDelayMs = everyMs): TimerHandle {
    const handle = { id: this.nextId++ };
    if (this.disposed) return handle;
    let due = performance.now() + Math.max(0, firstDelayMs);
    const arm = () => this.timers.set(handle.id, setTimeout(fire, Math.max(0, due - performance.now())));
    const fire = () => {
      const now = performance.now();
      due += everyMs * Math.max(1, Math.ceil((now - due) / everyMs));
      // Re-armed before the callback runs, so a callback that clears the handle clears this.
      arm();
      callback();
    };
    arm();
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
