import type { AnyActorRef, Snapshot } from 'xstate';
import type { DelayValue } from '../message/delay.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';

/** Kinds of supervised entries. */
export type EntryKind = 'driver' | 'queue' | 'consumer';

/** Optional routing of a request's answer. */
interface Answered {
  /** Echoed in the answer; a request with one is answered on success too. */
  readonly requestId?: string;
  /** Where the answer goes (and then it is answered on success too). @default the parent */
  readonly replyTo?: AnyActorRef;
}

/**
 * Events a `fromActorq` actor accepts. Each answers failure with an event
 * (`<operation>.failed`, see {@link ActorqOutputEvent}), never by failing
 * the actor; with a `requestId` or `replyTo` it answers success too
 * (`<operation>.done`).
 */
export type ActorqInputEvent =
  | ({
      readonly type: 'actorq.publish';
      /** Registry ID of the queue. */
      readonly queue: string;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, unknown>>;
      /** Deliver no sooner than this: ms, or a duration like `'5s'`. */
      readonly delay?: DelayValue;
      /** Message ID. @default a UUID v4 */
      readonly id?: string;
    } & Answered)
  | ({ readonly type: 'actorq.startEntry' | 'actorq.stopEntry'; readonly id: string } & Answered)
  /**
   * Stops the runtime gracefully while the actor stays; `actorq.stopped`
   * follows once the stop is over. Send it and wait for `actorq.stopped`
   * before leaving the state that invokes actorq when that exit must wait
   * for the drain.
   */
  | { readonly type: 'actorq.stop' }
  /** Starts the runtime again after `actorq.stop`; `actorq.started` or `actorq.failed` follows. */
  | { readonly type: 'actorq.start' };

/** What a stop did: consumers whose handlers outlived `stop_timeout`, and how many messages each released back to its queue. */
export interface ActorqStopReport {
  readonly timedOut: readonly string[];
  readonly released: Readonly<Record<string, number>>;
  /** Set when the stop itself failed (nothing was lost: see the message). */
  readonly error?: string;
}

/** Operations that answer with `<operation>.done` / `<operation>.failed`. */
export type ActorqOperation = 'publish' | 'startEntry' | 'stopEntry';

/**
 * Events a `fromActorq` actor sends to its parent (or a request's
 * `replyTo`), in the order things happened. Nothing is sent once the actor
 * is stopped (XState's rule for children).
 */
export type ActorqOutputEvent =
  /** Every auto-start entry is running (also after `actorq.start`). */
  | { readonly type: 'actorq.started' }
  /** A supervised entry changed lifecycle state (`running` -> `draining`, ...). */
  | { readonly type: 'actorq.entry.changed'; readonly id: string; readonly kind: EntryKind; readonly from: string; readonly to: string; readonly error?: string }
  /**
   * Something failed: an entry went to `restarting` (it retries by itself,
   * `retrying: true`) or `failed`, or the runtime as a whole (`id`
   * `actorq`, `kind` `runtime`: configuration invalid, start failed).
   */
  | {
      readonly type: 'actorq.failed';
      readonly id: string;
      readonly kind: EntryKind | 'runtime';
      readonly error: string;
      readonly code?: string;
      readonly retrying: boolean;
    }
  /** The runtime stopped after `actorq.stop`. */
  | ({ readonly type: 'actorq.stopped' } & ActorqStopReport)
  | { readonly type: 'actorq.publish.done'; readonly queue: string; readonly requestId?: string }
  | { readonly type: 'actorq.publish.failed'; readonly queue: string; readonly requestId?: string; readonly error: string; readonly code?: string }
  | { readonly type: 'actorq.startEntry.done' | 'actorq.stopEntry.done'; readonly id: string; readonly requestId?: string }
  | { readonly type: 'actorq.startEntry.failed' | 'actorq.stopEntry.failed'; readonly id: string; readonly requestId?: string; readonly error: string; readonly code?: string };

/** One entry in a {@link ActorqSnapshot}. */
export interface ActorqEntryState {
  readonly kind: EntryKind;
  /** State path, e.g. `running`, `running.reconnecting`, `draining`. */
  readonly state: string;
  readonly error?: string;
}

/** What a `fromActorq` actor's snapshot carries: plain data, JSON-serialisable. */
export interface ActorqContext {
  /** The runtime machine's state (`idle`, `loading`, `starting`, `running`, `stopping`, `stopped`, `failed`, ...). */
  readonly runtime: string;
  /** Every supervised entry's lifecycle state, by registry ID, updated as it changes. */
  readonly entries: Readonly<Record<string, ActorqEntryState>>;
  /** The latest `metrics()` reading (every `metricsInterval` ms); undefined before the first. */
  readonly metrics: RuntimeMetrics | undefined;
  /** The last failure of the runtime as a whole (load or start), if any. */
  readonly error: string | undefined;
}

/** Snapshot of a `fromActorq` actor. */
export type ActorqSnapshot = Snapshot<undefined> & { readonly context: ActorqContext };
