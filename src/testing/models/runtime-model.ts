import { createMachine } from 'xstate';

/** Events of {@link runtimeModel}: each is one call on the runtime's API. */
export type RuntimeModelEvent = { type: 'LOAD' } | { type: 'START' } | { type: 'STOP' };

/**
 * Abstract model of the runtime root (`actorq`) as a user drives it:
 * `LOAD` is `runtime.load()`, `START` is `runtime.start()`, `STOP` is
 * `runtime.stop()`. No input.
 *
 * ```
 * idle --LOAD--> loaded --START--> running --STOP--> stopped --START--> running
 *                   \--STOP--> stopped
 * ```
 *
 * Each state's `meta.machine` is the root actor's state value there; the
 * transient `loading`, `starting.*` and `stopping.*` lie between them.
 * Written as a specification, not derived from `machines/`: a changed
 * machine does not change the model, so a path fails.
 *
 * @example
 * ```ts
 * const { paths } = transitionPaths(runtimeModel)
 * for (const path of paths) await runPath(path, { exec, check })
 * ```
 */
export const runtimeModel = createMachine({
  id: 'runtime-model',
  types: {} as { events: RuntimeModelEvent },
  initial: 'idle',
  states: {
    idle: { meta: { machine: 'idle' }, on: { LOAD: 'loaded' } },
    loaded: { meta: { machine: 'loaded' }, on: { START: 'running', STOP: 'stopped' } },
    running: { meta: { machine: 'running' }, on: { STOP: 'stopped' } },
    stopped: { meta: { machine: 'stopped' }, on: { START: 'running' } },
  },
});
