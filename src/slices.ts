// Long pure computations written as generators that yield between slices of a few
// milliseconds: the daemon runs them with `sliced`, giving the event loop a turn between
// slices so scrapes are answered meanwhile; one-shot commands and tests run them with `drain`.
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Runs a sliced computation to its end at once. */
export function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs a sliced computation to its end, giving the event loop a turn between slices. */
export async function sliced<T>(steps: Generator<void, T>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await nextTurn();
  }
}
