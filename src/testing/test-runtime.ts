import type { Subscription } from 'rxjs';
import { parseConfigText } from '../config/load-config.ts';
import type { Registry } from '../config/registry.ts';
import type { Handler } from '../functions/handler.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime/create-runtime.ts';
import { stateString, type RuntimeStatusEvent } from '../runtime/runtime-events.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import type { FaultDriver } from './fault-driver.ts';
import { withFaultDrivers } from './fault-kinds.ts';
import { until } from './until.ts';

/** Options of {@link createTestRuntime}: the configuration (one of `yaml`, `files`, `registry`) and the handlers. */
export interface TestRuntimeOptions {
  /** The configuration as YAML text (one registry file). */
  readonly yaml?: string;
  /** YAML files or directories, as for `createRuntime`. */
  readonly files?: readonly string[];
  /** An already loaded registry; it must have been validated with the same `kinds`. */
  readonly registry?: Registry;
  /** Handlers supplied in code, by registry ID. */
  readonly functions?: Readonly<Record<string, Handler>>;
  /** Kinds understood; every driver kind among them is replaced by the fault driver. @default builtinKinds */
  readonly kinds?: KindCatalog;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Passed on to `createRuntime` (an inspector, `root`, ...). */
  readonly runtimeOptions?: Omit<RuntimeOptions, 'files' | 'registry' | 'functions' | 'kinds' | 'logger'>;
}

/** A promise's outcome, readable without awaiting it. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** A runtime under test; see {@link createTestRuntime}. */
export interface TestRuntime {
  /** The runtime itself: drive it as an application does. */
  readonly runtime: Runtime;
  /** The fault driver behind driver entry `id` (made at `load()`). Throws for an unknown or not yet loaded ID. */
  driver(id: string): FaultDriver;
  /** Every fault driver made so far, by driver entry ID. */
  readonly drivers: ReadonlyMap<string, FaultDriver>;
  /** State of actor `id` as a path (`running.connected`); `actorq` is the runtime root. */
  state(id: string): string;
  /** Waits until actor `id` is in `state` (or one of `states`); rejects naming what it saw after `timeoutMs`. */
  waitForState(id: string, state: string | readonly string[], timeoutMs?: number): Promise<void>;
  /** Everything `runtime.events$` reported, from creation on. */
  readonly events: readonly RuntimeStatusEvent[];
  /** Starts a new step for {@link TestRuntime.trace}. */
  mark(): void;
  /** The lifecycle states actor `id` went through since the last `mark()`, in order. */
  trace(id: string): string[];
  /** Wraps a promise the test got from the runtime: resolves with its outcome (never rejects) and counts it until it settles. */
  track<T>(promise: Promise<T>): Promise<Outcome<T>>;
  /** Tracked promises not settled yet. After a full stop every one must have settled. */
  readonly unsettled: number;
  /** Stops the runtime (ignoring its outcome) and stops listening. */
  dispose(): Promise<void>;
}

/**
 * A runtime for tests: the user's configuration, validated exactly as in
 * production (every kind keeps its schemas), with every driver replaced by
 * a {@link FaultDriver} over memory: no broker needed, and slow or failing
 * declare, consume, ack, broken subscriptions and broker drops on command.
 * It records every lifecycle step so a test can check the states an actor
 * went through during one step of a model path.
 *
 * @example
 * ```ts
 * const t = createTestRuntime({ yaml, functions: { 'shop:handle_order': handleOrder } })
 * await t.runtime.start()
 * t.mark()
 * t.driver('shop:broker').breakSubscriptions()
 * await until(() => expect(t.trace('shop:orders_consumer')).toEqual(['restarting', 'starting', 'running']))
 * await t.dispose()
 * ```
 */
export function createTestRuntime(options: TestRuntimeOptions): TestRuntime {
  const made = new Map<string, FaultDriver>();
  const kinds = withFaultDrivers(options.kinds ?? builtinKinds, made);
  const functions = options.functions ?? {};
  const registry = options.registry ?? (options.yaml === undefined ? undefined : parseConfigText(options.yaml, '<test config>', { kinds, extraFunctionIds: Object.keys(functions) }));
  const runtime = createRuntime({
    ...options.runtimeOptions,
    ...(registry ? { registry } : { files: options.files ?? [] }),
    functions,
    kinds,
    logger: options.logger ?? silentLogger,
  });
  const events: RuntimeStatusEvent[] = [];
  const subscription: Subscription = runtime.events$.subscribe((e) => events.push(e));
  let from = 0;
  let unsettled = 0;

  const actor = (id: string) => (id === 'actorq' ? runtime.root : runtime.system.get(id));
  const state = (id: string): string => {
    const ref = actor(id);
    if (!ref) throw new Error(`no actor ${id} (loaded? ids: ${runtime.registry ? [...runtime.registry.entries.keys()].join(', ') : 'not loaded'})`);
    return stateString(ref.getSnapshot().value);
  };

  return {
    runtime,
    drivers: made,
    driver(id) {
      const driver = made.get(id);
      if (!driver) throw new Error(`no fault driver ${id}: ${made.size === 0 ? 'the runtime is not loaded yet (call load() or start())' : `drivers are ${[...made.keys()].join(', ')}`}`);
      return driver;
    },
    state,
    async waitForState(id, wanted, timeoutMs = 3000) {
      const states = typeof wanted === 'string' ? [wanted] : wanted;
      await until(() => {
        const now = state(id);
        if (!states.includes(now)) throw new Error(`${id} is ${now}, expected ${states.join(' or ')}`);
      }, timeoutMs);
    },
    events,
    mark: () => void (from = events.length),
    trace: (id) => events.slice(from).flatMap((e) => (e.type === 'lifecycle' && e.id === id ? [e.state] : [])),
    track(promise) {
      unsettled++;
      return promise.then(
        (value) => {
          unsettled--;
          return { ok: true as const, value };
        },
        (error: unknown) => {
          unsettled--;
          return { ok: false as const, error };
        },
      );
    },
    get unsettled() {
      return unsettled;
    },
    async dispose() {
      await runtime.stop().catch(() => undefined);
      subscription.unsubscribe();
    },
  };
}
