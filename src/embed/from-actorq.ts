import type { ActorLogic, ActorScope, ActorSystem, AnyActorRef, EventObject } from 'xstate';

type AnyActorSystem = ActorSystem<any>;
import type { Subscription } from 'rxjs';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime/create-runtime.ts';
import type { RuntimeStatusEvent } from '../runtime/runtime-events.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { ActorqError } from '../errors/actorq-error.ts';
import { StopTimeoutError } from '../errors/lifecycle-errors.ts';
import type { ActorqContext, ActorqInputEvent, ActorqOperation, ActorqOutputEvent, ActorqSnapshot, ActorqStopReport, EntryKind } from './actorq-events.ts';
import { drainsUnderway, stopLeftovers, trackDrain } from './system-drains.ts';

/** Options of {@link fromActorq}: those of `createRuntime`, less what the app's system decides. */
export interface ActorqOptions extends Omit<RuntimeOptions, 'parent' | 'inspect' | 'inspectPayloads'> {
  /** How often the snapshot's `metrics` are read, in ms; `0` for never. @default 1000 */
  readonly metricsInterval?: number;
}

/** The actor logic {@link fromActorq} makes. */
export type ActorqLogic = ActorLogic<ActorqSnapshot, ActorqInputEvent, unknown, AnyActorSystem, ActorqOutputEvent>;

/** Events the actor sends itself: what the runtime reported, turned into snapshot updates and parent events. */
type InternalEvent =
  | { type: 'actorq.internal.lifecycle'; change: Extract<RuntimeStatusEvent, { type: 'lifecycle' }> }
  | { type: 'actorq.internal.metrics'; metrics: RuntimeMetrics }
  | { type: 'actorq.internal.started' }
  | { type: 'actorq.internal.failed'; error: string; code?: string }
  | { type: 'actorq.internal.stopped'; report: ActorqStopReport }
  | { type: 'actorq.internal.answer'; to: AnyActorRef; event: ActorqOutputEvent };

type Scope = ActorScope<ActorqSnapshot, ActorqInputEvent, AnyActorSystem, ActorqOutputEvent>;

/** Per actor: the runtime and what is wired to it. Beside the logic, as XState keeps its callback state. */
interface Instance {
  runtime: Runtime | undefined;
  /** XState stopped the actor: no runtime is made any more. */
  ended: boolean;
  /** Settles once the latest start is over, whatever its outcome; requests wait for it. */
  ready: Promise<void>;
  readonly subscriptions: Subscription[];
  /** Abandons publishes still waiting for room once the actor ends. */
  readonly abort: AbortController;
  /** Takes a metrics reading now (after a start or stop), when readings are on. */
  refresh(): void;
}

const instances = new WeakMap<AnyActorRef, Instance>();
const NOTHING_STOPPED: ActorqStopReport = { timedOut: [], released: {} };

/**
 * actorq as XState actor logic, for an app that makes it a child of its own
 * machine: `invoke: { id: 'queues', src: fromActorq({ files: ['config/'], functions }) }`.
 *
 * - Starting the actor starts the runtime; its actors join the app's actor
 *   system under this one (one tree in an inspector attached to the app).
 * - Stopping it (leaving the invoking state, or stopping the app) begins the
 *   runtime's graceful stop at once, which carries on in the background
 *   exactly as `Runtime.stop()`; {@link actorqDrained} waits for it. XState
 *   stops children synchronously, so the exit itself cannot wait: to make
 *   the app wait, send `actorq.stop` and leave on `actorq.stopped`.
 * - Its snapshot's `context` carries every entry's lifecycle state and the
 *   latest `metrics()` reading.
 * - It accepts {@link ActorqInputEvent}s and tells its parent what happens
 *   with {@link ActorqOutputEvent}s (also emitted, for `actor.on`).
 *
 * @example
 * ```ts
 * const app = setup({ actors: { actorq: fromActorq({ files: ['config/'], functions }) } }).createMachine({
 *   initial: 'serving',
 *   states: {
 *     serving: {
 *       invoke: { id: 'queues', src: 'actorq' },
 *       on: { 'actorq.failed': 'degraded' },
 *     },
 *     degraded: {},
 *   },
 * })
 * ```
 */
export function fromActorq(options: ActorqOptions): ActorqLogic {
  const { metricsInterval = 1000, ...runtimeOptions } = options;
  return {
    getInitialSnapshot: () => ({
      status: 'active',
      output: undefined,
      error: undefined,
      context: { runtime: 'idle', entries: {}, metrics: undefined, error: undefined },
    }),
    start: (_snapshot, scope) => {
      const inst: Instance = { runtime: undefined, ended: false, ready: Promise.resolve(), subscriptions: [], abort: new AbortController(), refresh: () => {} };
      instances.set(scope.self, inst);
      const send = toSelf(inst, scope);
      const begin = (): Promise<void> | undefined => {
        if (inst.ended) return undefined;
        let runtime: Runtime;
        try {
          runtime = createRuntime({ ...runtimeOptions, parent: scope.self });
        } catch (error) {
          send(failure(error));
          return undefined;
        }
        inst.runtime = runtime;
        inst.subscriptions.push(
          runtime.events$.subscribe((change) => {
            if (change.type === 'lifecycle' && change.kind !== 'worker') send({ type: 'actorq.internal.lifecycle', change });
          }),
        );
        if (metricsInterval > 0) {
          const reading = (metrics: RuntimeMetrics) => send({ type: 'actorq.internal.metrics', metrics });
          inst.subscriptions.push(runtime.metrics$(metricsInterval).subscribe({ next: reading, error: () => {} }));
          inst.refresh = () => void runtime.metrics().then(reading, () => {});
        }
        return startRuntime(runtime, send).then(() => inst.refresh());
      };
      // The previous runtime of this system (a state left and entered again)
      // still holds the system IDs this one will take: start after its stop.
      const previous = drainsUnderway(scope.system);
      inst.ready = previous ? previous.then(begin) : Promise.resolve(begin());
    },
    transition: (snapshot, event, scope) => {
      const inst = instances.get(scope.self);
      const e = event as ActorqInputEvent | InternalEvent | EventObject;
      switch (e.type) {
        case 'xstate.stop':
          if (inst) end(inst, scope);
          return { ...snapshot, status: 'stopped', error: undefined };
        case 'actorq.internal.lifecycle':
          return onLifecycle(snapshot, (e as Extract<InternalEvent, { type: 'actorq.internal.lifecycle' }>).change, scope);
        case 'actorq.internal.metrics':
          return withContext(snapshot, { metrics: (e as Extract<InternalEvent, { type: 'actorq.internal.metrics' }>).metrics });
        case 'actorq.internal.started':
          tellParent(scope, { type: 'actorq.started' });
          return withContext(snapshot, { error: undefined });
        case 'actorq.internal.failed': {
          const { error, code } = e as Extract<InternalEvent, { type: 'actorq.internal.failed' }>;
          tellParent(scope, { type: 'actorq.failed', id: 'actorq', kind: 'runtime', error, ...(code ? { code } : {}), retrying: false });
          return withContext(snapshot, { error });
        }
        case 'actorq.internal.stopped':
          tellParent(scope, { type: 'actorq.stopped', ...(e as Extract<InternalEvent, { type: 'actorq.internal.stopped' }>).report });
          return snapshot;
        case 'actorq.internal.answer': {
          const { to, event: answer } = e as Extract<InternalEvent, { type: 'actorq.internal.answer' }>;
          scope.defer(() => relay(scope, to, answer));
          return snapshot;
        }
      }
      if (!inst) return snapshot;
      const request = e as ActorqInputEvent;
      switch (request.type) {
        case 'actorq.publish': {
          const { queue, body, headers, delay, id } = request;
          answerWhenDone(inst, scope, request, 'publish', { queue }, (runtime) =>
            runtime.publish(queue, body, { ...(headers ? { headers } : {}), ...(delay === undefined ? {} : { delay }), ...(id ? { id } : {}), signal: inst.abort.signal }),
          );
          break;
        }
        case 'actorq.startEntry':
          answerWhenDone(inst, scope, request, 'startEntry', { id: request.id }, (runtime) => runtime.startEntry(request.id));
          break;
        case 'actorq.stopEntry':
          answerWhenDone(inst, scope, request, 'stopEntry', { id: request.id }, (runtime) => runtime.stopEntry(request.id));
          break;
        case 'actorq.stop': {
          const send = toSelf(inst, scope);
          void inst.ready.then(async () => {
            send({ type: 'actorq.internal.stopped', report: inst.runtime ? await stopReport(inst.runtime) : NOTHING_STOPPED });
            inst.refresh();
          });
          break;
        }
        case 'actorq.start': {
          const send = toSelf(inst, scope);
          inst.ready = inst.ready.then(async () => {
            if (!inst.runtime) return send(failure(new ActorqError('LIFECYCLE', 'actorq has no runtime to start')));
            await startRuntime(inst.runtime, send);
            inst.refresh();
          });
          break;
        }
        default:
          // The runtime's root actor failing is a bug, yet it must reach the app as an event, not a crash.
          if (e.type.startsWith('xstate.error.actor.')) {
            const error = (e as { error?: unknown }).error;
            tellParent(scope, { type: 'actorq.failed', id: 'actorq', kind: 'runtime', error: messageOf(error), retrying: false });
            return withContext(snapshot, { error: messageOf(error) });
          }
      }
      return snapshot;
    },
    getPersistedSnapshot: (snapshot) => snapshot,
  };
}

/** Sends the actor its own events while it runs; once XState stopped it, what is left to report is dropped. */
function toSelf(inst: Instance, scope: Scope): (event: InternalEvent) => void {
  return (event) => {
    if (!inst.ended) scope.self.send(event as never);
  };
}

/** Starts the runtime and reports how it went; never rejects. */
function startRuntime(runtime: Runtime, send: (event: InternalEvent) => void): Promise<void> {
  return runtime.start().then(
    () => send({ type: 'actorq.internal.started' }),
    (error: unknown) => send(failure(error)),
  );
}

/** Stops the runtime gracefully; what the stop did, never a rejection. */
async function stopReport(runtime: Runtime): Promise<ActorqStopReport> {
  try {
    await runtime.stop();
    return NOTHING_STOPPED;
  } catch (error) {
    if (error instanceof StopTimeoutError) return { timedOut: [...error.pending.keys()], released: Object.fromEntries(error.pending) };
    return { ...NOTHING_STOPPED, error: messageOf(error) };
  }
}

/**
 * XState stopped the actor: the graceful stop starts now (consumers stop
 * taking messages as the runtime's stop order reaches them) and goes on in
 * the background. Then the runtime's actors leave the app's system.
 */
function end(inst: Instance, scope: Scope): void {
  inst.ended = true;
  inst.refresh = () => {};
  inst.abort.abort(new ActorqError('ABORTED', 'the actorq actor was stopped'));
  for (const s of inst.subscriptions.splice(0)) s.unsubscribe();
  const runtime = inst.runtime;
  if (!runtime) return;
  const stopped = stopReport(runtime).then((report) => {
    scope.stopChild(runtime.root);
    stopLeftovers(scope.system, runtime.root);
    return report;
  });
  trackDrain(scope.system, stopped);
}

function onLifecycle(snapshot: ActorqSnapshot, change: Extract<RuntimeStatusEvent, { type: 'lifecycle' }>, scope: Scope): ActorqSnapshot {
  if (change.kind === 'runtime') return withContext(snapshot, { runtime: change.state });
  const kind = change.kind as EntryKind;
  const { id, state: to, previous: from, error } = change;
  if (from !== undefined) {
    tellParent(scope, { type: 'actorq.entry.changed', id, kind, from, to, ...(error ? { error } : {}) });
    if (to === 'restarting' || to === 'failed') {
      tellParent(scope, { type: 'actorq.failed', id, kind, error: error ?? 'unknown error', retrying: to === 'restarting' });
    }
  }
  return withContext(snapshot, { entries: { ...snapshot.context.entries, [id]: { kind, state: to, ...(error ? { error } : {}) } } });
}

/** Runs a request once the runtime's start is over, and answers it (always on failure; on success when asked). */
function answerWhenDone(inst: Instance, scope: Scope, request: ActorqInputEvent & { requestId?: string; replyTo?: AnyActorRef }, operation: ActorqOperation, subject: { queue: string } | { id: string }, run: (runtime: Runtime) => Promise<void>): void {
  const to = request.replyTo ?? scope.self._parent;
  const { requestId } = request;
  const answer = (event: ActorqOutputEvent) => {
    if (to) toSelf(inst, scope)({ type: 'actorq.internal.answer', to, event });
  };
  void inst.ready
    .then(() => {
      if (!inst.runtime) throw new ActorqError('LIFECYCLE', 'actorq is not running');
      return run(inst.runtime);
    })
    .then(
      () => {
        if (requestId !== undefined || request.replyTo) answer({ type: `actorq.${operation}.done`, ...subject, ...(requestId === undefined ? {} : { requestId }) } as ActorqOutputEvent);
      },
      (error: unknown) =>
        answer({
          type: `actorq.${operation}.failed`,
          ...subject,
          ...(requestId === undefined ? {} : { requestId }),
          error: messageOf(error),
          ...(error instanceof ActorqError ? { code: error.code } : {}),
        } as ActorqOutputEvent),
    );
}

/** Sends `event` to the parent and to `actor.on` listeners, once this transition's snapshot is in place. */
function tellParent(scope: Scope, event: ActorqOutputEvent): void {
  scope.defer(() => {
    const parent = scope.self._parent;
    if (parent) relay(scope, parent, event);
    scope.emit(event);
  });
}

/** Delivers like XState's own children do, so an inspector sees who sent it. */
function relay(scope: Scope, to: AnyActorRef, event: ActorqOutputEvent): void {
  const system = scope.system as AnyActorSystem & { _relay?: (source: AnyActorRef, target: AnyActorRef, event: EventObject) => void };
  if (typeof system._relay === 'function') system._relay(scope.self, to, event);
  else to.send(event);
}

function withContext(snapshot: ActorqSnapshot, patch: Partial<ActorqContext>): ActorqSnapshot {
  return { ...snapshot, context: { ...snapshot.context, ...patch } };
}

function failure(error: unknown): InternalEvent {
  return { type: 'actorq.internal.failed', error: messageOf(error), ...(error instanceof ActorqError ? { code: error.code } : {}) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
