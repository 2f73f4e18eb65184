import { fromPromise, type AnyActorRef } from 'xstate';
import type { EntrySettled } from '../../machines/runtime.machine.ts';

/** States in which a child has finished reacting to a start. */
const SETTLED_AFTER_START = ['running', 'failed', 'restarting', 'stopped'];
/** States in which a child has finished reacting to a stop. */
const SETTLED_AFTER_STOP = ['stopped', 'idle'];

/**
 * The runtime machine's `awaitEntry` wait: resolves with the state a child
 * settles in after its start or stop event. It holds no timer of its own:
 * the machine bounds the wait with an `after` transition, and leaving the
 * state cancels it (the subscription goes with the invoke's signal).
 */
export const awaitEntry = fromPromise<EntrySettled, { id: string; goal: 'start' | 'stop' }>(({ input, system, signal }) => {
  const actor = system.get(input.id) as AnyActorRef | undefined;
  if (!actor) return Promise.reject(new Error(`no actor for entry ${input.id}`));
  const settled = input.goal === 'start' ? SETTLED_AFTER_START : SETTLED_AFTER_STOP;
  return new Promise<EntrySettled>((resolve) => {
    const check = (snapshot: ReturnType<AnyActorRef['getSnapshot']>): boolean => {
      if (!settled.some((s) => snapshot.matches(s))) return false;
      const context = snapshot.context as { error?: string; stopTimedOut?: boolean };
      resolve({ state: String(typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0]), error: context.error, stopTimedOut: context.stopTimedOut });
      return true;
    };
    if (check(actor.getSnapshot())) return;
    const subscription = actor.subscribe((snapshot) => {
      if (check(snapshot)) subscription.unsubscribe();
    });
    signal.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
  });
});
