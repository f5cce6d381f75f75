// A Clock (src/clock.ts) whose timers run only when a test advances time.
import type { Clock } from '../../src/clock.js';

export class FakeClock implements Clock {
  t: number;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private seq = 0;
  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** A promise that resolves when the clock has moved `ms` on (for stubs that take time). */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
  /** Runs every timer due within `ms`, in order, letting promise chains settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets every pending promise continuation run (one macrotask turn), without moving time. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
