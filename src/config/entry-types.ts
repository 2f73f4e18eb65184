/**
 * Typed registry entries, as the config loader produces them after
 * validation. Field names follow the YAML (snake_case) so that errors and
 * docs name one thing one way; durations are converted to milliseconds.
 */

import type { PolicyDefinition } from '../security/policy-schema.ts';

/** Fields every entry has. */
export interface EntryBase {
  /** `namespace:name`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly meta: Readonly<Record<string, unknown>>;
  /** File the entry came from (absolute path), or `<inline>`. */
  readonly file: string;
  /** 1-based line of the entry in `file` (0 when unknown). */
  readonly line: number;
}

/** Backoff between restarts of a failed driver or consumer. */
export interface RestartPolicy {
  readonly initial_delay: number;
  readonly max_delay: number;
  readonly backoff_factor: number;
  /** Fraction of each delay added or removed at random (0.1 = +/-10%). */
  readonly jitter: number;
  /** 0 = unlimited. */
  readonly max_attempts: number;
}

/** The `lifecycle` block, with defaults applied and durations in ms. */
export interface Lifecycle {
  readonly auto_start: boolean;
  /** `requires` and `depends_on` merged, de-duplicated, in order. */
  readonly requires: readonly string[];
  readonly start_timeout: number;
  readonly stop_timeout: number;
  readonly restart: RestartPolicy;
  /**
   * Wippy's `security` block (`actor`, `groups`, `policies`): the actor and
   * policy scope a consumer's handler runs with (see `docs/security.md`).
   */
  readonly security?: LifecycleSecurity;
}

/** A `security` block, as written: under `lifecycle` of a consumer, or on a function entry. */
export interface LifecycleSecurity {
  readonly actor?: { readonly id: string; readonly meta?: Readonly<Record<string, unknown>> };
  readonly groups?: readonly string[];
  readonly policies?: readonly string[];
}

/** A `queue.driver.*` entry. `options` is the rest of its data, checked by its kind. */
export interface DriverEntry extends EntryBase {
  readonly lifecycle: Lifecycle;
  readonly options: Readonly<Record<string, unknown>>;
}

/** `dead_letter` on a queue. */
export interface DeadLetterPolicy {
  /** Registry ID of the dead-letter queue entry. */
  readonly queue: string;
  /** Nacks after which a message is dead-lettered (>= 1). */
  readonly max_attempts: number;
}

/**
 * `retry` on a queue: the n-th retry of a message waits
 * `min(initial_delay * backoff_factor^(n-1), max_delay)`, +/- `jitter`.
 */
export interface RetryPolicy {
  readonly initial_delay: number;
  readonly max_delay: number;
  readonly backoff_factor: number;
  /** Fraction of each delay added or removed at random (0.1 = +/-10%). */
  readonly jitter: number;
}

/** A `queue.queue` entry. */
export interface QueueEntry extends EntryBase {
  readonly kind: 'queue.queue';
  /** Registry ID of the driver entry. */
  readonly driver: string;
  /** Backend name; defaults to the entry's `name`. */
  readonly queue_name: string;
  /** Per-driver options keyed by driver option key (`memory`, `amqp`, ...), each already validated. */
  readonly driver_options: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly dead_letter?: DeadLetterPolicy;
  /** Backoff between deliveries of a nacked message; absent = requeue at once. */
  readonly retry?: RetryPolicy;
  /** Largest message `publish` accepts, in bytes of JSON body + JSON headers (1 MiB when absent). */
  readonly max_message_size?: number;
  readonly lifecycle: Lifecycle;
}

/** A `queue.consumer` entry. */
export interface ConsumerEntry extends EntryBase {
  readonly kind: 'queue.consumer';
  /** Registry ID of the queue entry. */
  readonly queue: string;
  /** Registry ID of the function entry. */
  readonly func: string;
  /** Workers, 1..1000 (default 1). */
  readonly concurrency: number;
  /** Shared buffer size, 1..10000 (default 10). */
  readonly prefetch: number;
  /** Per-message handler time limit in ms; undefined = none. */
  readonly timeout?: number;
  /** Ack on hand-over, before the handler (at-most-once; default false). Drivers that cannot do it refuse it at consumer start. */
  readonly auto_ack?: boolean;
  /** Driver-specific consumer options by driver key (e.g. AMQP `consumer_tag`, `exclusive`); checked by the driver at consumer start. */
  readonly driver_options?: Readonly<Record<string, unknown>>;
  readonly lifecycle: Lifecycle;
}

/** A `function.*` entry. `options` is the rest of its data, checked by its kind. */
export interface FunctionEntry extends EntryBase {
  /** Directory of the YAML file, for resolving `file://` sources. */
  readonly base_dir: string;
  /**
   * Directory every `file://` of the entry must stay inside (the
   * `root` option of `loadConfig`); `base_dir` when not set.
   */
  readonly root?: string;
  /** Largest file the entry may name, in bytes. @default 10 MiB */
  readonly max_file_bytes?: number;
  readonly options: Readonly<Record<string, unknown>>;
  /** The actor and policies every call of this function runs with, instead of its consumer's. */
  readonly security?: LifecycleSecurity;
}

/** A `security.policy` entry: one rule of the security model (see `docs/security.md`). */
export interface PolicyEntry extends EntryBase {
  readonly kind: 'security.policy';
  readonly policy: PolicyDefinition;
  /** Full IDs of the groups the policy belongs to (a bare name is in the entry's namespace). */
  readonly groups: readonly string[];
}

/** Any entry. Narrow on `kind` (drivers and functions by prefix). */
export type Entry = DriverEntry | QueueEntry | ConsumerEntry | FunctionEntry | PolicyEntry;
