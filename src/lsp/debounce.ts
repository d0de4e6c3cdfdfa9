// Typing sends a change a keystroke: each document is compiled once the
// changes pause for `delay` ms, not once per key.

export const DIAGNOSTICS_DELAY_MS = 200;

export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly delay = DIAGNOSTICS_DELAY_MS) {}

  /** Runs `run` after `delay` ms unless `key` is scheduled again or cancelled first. */
  schedule(key: string, run: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run();
      }, this.delay),
    );
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(key);
  }

  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
