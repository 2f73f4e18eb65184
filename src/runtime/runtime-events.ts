/**
 * What the runtime reports on `Runtime.events$`: lifecycle changes of every
 * actor (runtime, drivers, queues, consumers, workers) and problems that do
 * not throw anywhere else. Data and status travel separately: messages never
 * appear here.
 */
export type RuntimeStatusEvent =
  | {
      readonly type: 'lifecycle';
      /** Registry ID, `actorq` for the runtime, `<consumer>#worker-<n>` for workers. */
      readonly id: string;
      readonly kind: 'runtime' | 'driver' | 'queue' | 'consumer' | 'worker';
      /** State path, e.g. `running`, `running.reconnecting`, `draining`. */
      readonly state: string;
      readonly previous: string | undefined;
      /** Last error recorded by the actor, if any. */
      readonly error?: string;
    }
  | {
      readonly type: 'stop.timeout';
      /** Consumer whose handlers did not finish within `stop_timeout`. */
      readonly id: string;
      /** In-flight messages released back to the queue. */
      readonly released: number;
    };

/** Flattens an XState state value (`{ running: 'connected' }`) into `running.connected`. */
export function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    return key === undefined ? '' : `${key}.${stateString(inner)}`;
  }
  return String(value);
}
