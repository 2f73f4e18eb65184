import type { InspectionEvent, Observer } from 'xstate';
import { ReplayBuffer, type ReplayLimits } from './replay-buffer.ts';
import { createWireConverter } from './stately-wire.ts';

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
  let failures = 0;

  const publish = (records: ReturnType<typeof wire.flush>) => {
    for (const record of records) {
      buffer.add(record);
      for (const listener of listeners) listener(record.json);
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
