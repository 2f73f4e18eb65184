import { runSoon } from './run-soon.ts';

/** Reads after which the cached second is read again, within one synchronous run. */
const READS_PER_CLOCK_READ = 16;

let cached = 0;
let readsLeft = 0;
let expiryQueued = false;
const expire = (): void => {
  readsLeft = 0;
  expiryQueued = false;
};

/**
 * The current Unix time in whole seconds, as message `timestamp` headers
 * carry it.
 *
 * Why not `Math.floor(Date.now() / 1000)` each time: on these virtual
 * machines a clock read costs about 85 ns, as much as the rest of an
 * in-memory publish. A loop of publishes reads the clock once per
 * {@link READS_PER_CLOCK_READ} calls instead. The cached second never
 * outlives the synchronous run of code that read it (a microtask expires
 * it), so any `await` before a publish makes it read the clock afresh;
 * within one synchronous run it can lag only by the time those few calls
 * took.
 */
export function unixSeconds(): number {
  if (readsLeft > 0) {
    readsLeft--;
    return cached;
  }
  cached = Math.floor(Date.now() / 1000);
  readsLeft = READS_PER_CLOCK_READ - 1;
  if (!expiryQueued) {
    expiryQueued = true;
    runSoon(expire);
  }
  return cached;
}
