import type { InspectionEvent, Observer } from 'xstate';
import { ReplayBuffer, type ReplayLimits } from './replay-buffer.ts';
import type { MessageActivity } from './message-activity.ts';
import { createWireConverter, syntheticEventJson } from './stately-wire.ts';

/** Options of {@link createInspectionFeed}. */
export interface InspectionFeedOptions {
  /** Keep message content (`--inspect-payloads`). @default false */
  readonly payloads?: boolean;
  /** Bounds of what is kept for late clients. */
  readonly limits?: Partial<ReplayLimits>;
  /** Largest single record in bytes. @default 262144 */
  readonly maxRecordBytes?: number;
}

/**
 * The runtime side of the inspector bridge: an XState inspection observer
 * that turns every event into a Stately record at once, keeps what a late
 * client needs ({@link ReplayBuffer}) and hands each record to the
 * listeners (the bridge's connected clients).
 *
 * It exists before any server does, so `actorq run --inspect` attaches it
 * to the runtime from the first event on, with no queue of its own.
 */
export interface InspectionFeed {
  /** The observer for `createRuntime({ inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /** Emits registrations still held back (see `stately-wire.ts`). */
  flush(): void;
  /** What a client connecting now should receive, in order. */
  replay(): string[];
  /**
   * Shows one sampled message step (`--inspect-messages`) as an event on its
   * consumer's actor. Sent to the clients connected now only: the replay for
   * late clients keeps the lifecycle, not message traffic.
   */
  activity(activity: MessageActivity): void;
  /** Calls `listener` with every new record; returns the unsubscribe. */
  subscribe(listener: (json: string) => void): () => void;
  /** What is kept, for diagnostics. */
  readonly buffer: ReplayBuffer;
  /** Inspection events that could not be converted (never thrown into the runtime). */
  readonly failures: number;
}

/**
 * Creates an {@link InspectionFeed}.
 *
 * @example
 * ```ts
 * const feed = createInspectionFeed()
 * const runtime = createRuntime({ files: ['config/'], inspect: feed.inspect })
 * const inspector = await startInspector({ feed })
 * ```
 */
export function createInspectionFeed(options: InspectionFeedOptions = {}): InspectionFeed {
  const wire = createWireConverter({ payloads: options.payloads, maxRecordBytes: options.maxRecordBytes });
  const buffer = new ReplayBuffer(options.limits);
  const listeners = new Set<(json: string) => void>();
  /** Actors by name (registry ID), for message activity. */
  const sessions = new Map<string, { sessionId: string; rootId: string | undefined }>();
  let failures = 0;

  const send = (json: string) => {
    for (const listener of listeners) listener(json);
  };
  const publish = (records: ReturnType<typeof wire.flush>) => {
    for (const record of records) {
      if (record.kind === 'actor' && record.name !== undefined) sessions.set(record.name, { sessionId: record.sessionId, rootId: record.rootId });
      buffer.add(record);
      send(record.json);
    }
  };

  return {
    inspect: {
      next(event) {
        // An exception here would surface inside the actor's transition:
        // the inspector must never be able to break the runtime.
        try {
          publish(wire.convert(event));
        } catch {
          failures++;
        }
      },
    },
    flush: () => publish(wire.flush()),
    activity(activity) {
      if (listeners.size === 0) return;
      const target = sessions.get(activity.consumer);
      if (target) send(syntheticEventJson(target, { ...activity }));
    },
    replay: () => buffer.replay(),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    buffer,
    get failures() {
      return failures;
    },
  };
}
