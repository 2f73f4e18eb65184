import { z } from 'zod';
import { durationSchema, parseDuration } from '../../util/duration.ts';
import { tlsSchema } from './tls-options.ts';

/** Broker URL used when a driver entry gives none (as in Wippy). */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@localhost:5672/';

/**
 * Defaults of the driver entry's fields, in milliseconds where they are
 * durations.
 */
export const AMQP_DEFAULTS = {
  /** @default 10s: how long one connect attempt (TCP + TLS + AMQP handshake) may take. */
  connectionTimeout: 10_000,
  /** @default 1s: first reconnect delay. */
  reconnectDelay: 1_000,
  /** @default 30s: reconnect delays grow up to this. */
  reconnectMaxDelay: 30_000,
  /**
   * @default 5s: how long a publish (or `info`) waits for a connection
   * that is being re-established before failing with a retryable error.
   */
  publishTimeout: 5_000,
} as const;

/** AMQP's smallest frame size (`frame-min-size`). */
const FRAME_MIN_SIZE = 4096;

/**
 * A duration the broker keeps (a TTL, an expiry), in ms: unlike
 * `durationSchema` not bounded by what a timer can wait. Declare
 * arguments are clamped to 2^31 - 1 ms (as Wippy does); a per-message
 * expiration goes as it is.
 */
const brokerDuration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms !== undefined) return ms;
  ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)}: expected a number of milliseconds or a string like "500ms", "10s", "1m30s"` });
  return z.NEVER;
});

/** Accepts only `amqp://` and `amqps://` URLs; the message never repeats the URL (it may hold a password). */
const urlSchema = z.string().refine(
  (text) => {
    try {
      const u = new URL(text);
      return (u.protocol === 'amqp:' || u.protocol === 'amqps:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'expected an amqp:// or amqps:// URL with a host, e.g. "amqp://user:password@localhost:5672/"' },
);

/** A count where 0 means "not set" (as Wippy reads it), else within `min`..`max`. */
function zeroOrBetween(min: number, max: number, what: string) {
  return z
    .number()
    .int()
    .min(0)
    .max(max)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === 0) return undefined;
      if (v < min) {
        ctx.addIssue({ code: 'custom', message: `${what} must be 0 (not set) or at least ${min}` });
        return z.NEVER;
      }
      return v;
    });
}

/**
 * Fields of a `queue.driver.amqp` entry: Wippy's fields, plus
 * `publish_timeout` and the `*_env` forms of the TLS material.
 *
 * @example
 * ```yaml
 * - name: rabbit
 *   kind: queue.driver.amqp
 *   url: amqp://app:secret@rabbit:5672/
 *   connection_name: billing
 *   heartbeat: 30s
 *   default_queue_ttl: 24h
 * ```
 */
export const amqpDriverSchema = z
  .object({
    /** @default "amqp://guest:guest@localhost:5672/" */
    url: urlSchema.default(DEFAULT_AMQP_URL),
    /** Virtual host; overrides the URL's path. */
    vhost: z.string().optional(),
    /** Name the broker shows for the connection. @default the driver's registry ID */
    connection_name: z.string().min(1).optional(),
    /** SASL mechanism: `PLAIN` (user and password), `AMQPLAIN`, or `EXTERNAL` (the TLS client certificate). @default PLAIN */
    auth_mechanism: z.enum(['PLAIN', 'AMQPLAIN', 'EXTERNAL']).default('PLAIN'),
    /** AMQP heartbeat interval (sent to the broker in whole seconds; `0` disables). Broker's choice when unset. */
    heartbeat: durationSchema.optional(),
    /** @default 10s */
    connection_timeout: durationSchema.default(AMQP_DEFAULTS.connectionTimeout),
    /** @default 1s */
    reconnect_delay: durationSchema.default(AMQP_DEFAULTS.reconnectDelay),
    /** @default 30s */
    reconnect_max_delay: durationSchema.default(AMQP_DEFAULTS.reconnectMaxDelay),
    /** `basic.qos` for a consumption that does not state its own window; 0 = not set. */
    prefetch_count: zeroOrBetween(1, 65_535, 'prefetch_count'),
    /** Largest frame this client asks for, in bytes (the broker may lower it); 0 = the client's default. */
    frame_size: zeroOrBetween(FRAME_MIN_SIZE, 2 ** 32 - 1, 'frame_size'),
    /** Most channels this client asks for on its connection (the broker may lower it); 0 = no limit of its own. */
    channel_max: zeroOrBetween(1, 65_535, 'channel_max'),
    /** `expiration` of every published message that sets no `amqp.expiration` (Wippy's driver default). */
    default_message_ttl: brokerDuration.optional(),
    /** `x-message-ttl` of every queue entry whose options give no `message_ttl`. */
    default_queue_ttl: brokerDuration.optional(),
    /** `x-expires` of every queue entry whose options give no `queue_expiry`. */
    default_queue_expiry: brokerDuration.optional(),
    /** @default 5s */
    publish_timeout: durationSchema.default(AMQP_DEFAULTS.publishTimeout),
    tls: tlsSchema.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.reconnect_max_delay < o.reconnect_delay) {
      ctx.addIssue({ code: 'custom', path: ['reconnect_max_delay'], message: 'reconnect_max_delay must not be shorter than reconnect_delay' });
    }
    if (o.connection_timeout <= 0) ctx.addIssue({ code: 'custom', path: ['connection_timeout'], message: 'connection_timeout must be positive' });
    if (o.auth_mechanism === 'EXTERNAL' && (o.tls?.cert ?? o.tls?.cert_env) === undefined) {
      ctx.addIssue({ code: 'custom', path: ['auth_mechanism'], message: 'EXTERNAL authenticates with the TLS client certificate: give tls.cert and tls.key' });
    }
  });

/** A validated `queue.driver.amqp` entry's fields. */
export type AmqpDriverOptions = z.output<typeof amqpDriverSchema>;

/** TLS section of {@link AmqpDriverOptions}. */
export type { AmqpTlsOptions } from './tls-options.ts';

/**
 * `driver_options.amqp` of a queue: arguments of its `queue.declare`.
 * Wippy's fields (`durable`, `auto_delete`, `message_ttl`,
 * `queue_expiry`, `max_length`) give the arguments Wippy computes for
 * them; `overflow`, `max_priority` and `queue_type` are actorq's own (a
 * queue declared with them cannot also be declared by Wippy, which sends
 * none of them). Changing them for an existing queue makes the broker
 * refuse the declaration (PRECONDITION_FAILED), reported as a config error.
 *
 * @example
 * ```yaml
 * driver_options:
 *   amqp: { durable: true, max_length: 10000, message_ttl: 1h }
 * ```
 */
export const amqpQueueOptionsSchema = z
  .object({
    /** Survives a broker restart. @default true */
    durable: z.boolean().default(true),
    /** Deleted by the broker when its last consumer goes away. @default false */
    auto_delete: z.boolean().default(false),
    /** `x-max-length`: most ready messages; see `overflow` for what happens beyond. */
    max_length: z.number().int().positive().max(2 ** 31 - 1).optional(),
    /**
     * `x-overflow` when `max_length` is reached: `drop_head` (broker default,
     * the oldest messages are discarded) or `reject_publish` (the publish is
     * refused and `publish()` rejects with `PublishRejectedError`).
     */
    overflow: z.enum(['drop_head', 'reject_publish']).optional(),
    /** `x-message-ttl`: a message not consumed within it is discarded; `0` = none (also overrides `default_queue_ttl`). */
    message_ttl: brokerDuration.optional(),
    /** `x-expires`: the queue is deleted after being unused this long; `0` = never (also overrides `default_queue_expiry`). */
    queue_expiry: brokerDuration.optional(),
    /** `x-max-priority`: enables the `amqp.priority` header (1-255). Not on quorum queues. */
    max_priority: z.number().int().min(1).max(255).optional(),
    /** `x-queue-type`: `quorum` for a replicated queue whose `x-delivery-count` counts attempts; `classic` sends no argument. @default classic */
    queue_type: z.enum(['classic', 'quorum']).default('classic'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.queue_type !== 'quorum') return;
    if (!o.durable) ctx.addIssue({ code: 'custom', path: ['durable'], message: 'a quorum queue is always durable: remove durable: false' });
    if (o.auto_delete) ctx.addIssue({ code: 'custom', path: ['auto_delete'], message: 'a quorum queue cannot be auto_delete' });
    if (o.max_priority !== undefined) ctx.addIssue({ code: 'custom', path: ['max_priority'], message: 'quorum queues have no priorities: remove max_priority' });
  });

/** A validated `driver_options.amqp` section. */
export type AmqpQueueOptions = z.output<typeof amqpQueueOptionsSchema>;

/** Driver-level defaults that enter a queue's declare arguments (from {@link AmqpDriverOptions}). */
export interface QueueArgumentDefaults {
  readonly default_queue_ttl?: number;
  readonly default_queue_expiry?: number;
}

/** RabbitMQ takes TTLs and expiries as signed 32-bit integers; Wippy clamps to this. */
const INT32_MAX = 2 ** 31 - 1;

/** A 32-bit integer field, the type Wippy's driver declares with. */
const int32 = (value: number) => ({ '!': 'int32', value });

/**
 * The `queue.declare` arguments for a queue's options, computed as Wippy
 * computes them for the same YAML, so either side can declare the queue
 * first: durations in whole milliseconds (truncated), clamped to 2^31 - 1;
 * the queue's `message_ttl` / `queue_expiry` when given (`0` = none), else
 * the driver's `default_queue_ttl` / `default_queue_expiry`; an argument
 * only when its value is above 0; integers as int32.
 */
export function queueArguments(
  options: Readonly<Record<string, unknown>>,
  defaults: QueueArgumentDefaults = {},
): { durable: boolean; autoDelete: boolean; arguments: Record<string, unknown> } {
  const o = options as Partial<AmqpQueueOptions>;
  const args: Record<string, unknown> = {};
  const ttl = Math.trunc(o.message_ttl ?? defaults.default_queue_ttl ?? 0);
  const expiry = Math.trunc(o.queue_expiry ?? defaults.default_queue_expiry ?? 0);
  if (ttl > 0) args['x-message-ttl'] = int32(Math.min(ttl, INT32_MAX));
  if (expiry > 0) args['x-expires'] = int32(Math.min(expiry, INT32_MAX));
  if (o.max_length !== undefined && o.max_length > 0) args['x-max-length'] = int32(o.max_length);
  if (o.overflow !== undefined) args['x-overflow'] = o.overflow === 'reject_publish' ? 'reject-publish' : 'drop-head';
  if (o.max_priority !== undefined) args['x-max-priority'] = o.max_priority;
  if (o.queue_type === 'quorum') args['x-queue-type'] = 'quorum';
  return { durable: o.durable ?? true, autoDelete: o.auto_delete ?? false, arguments: args };
}

/**
 * `driver_options.amqp` of a consumer (Wippy's fields). Wippy's
 * `no_wait` is accepted; actorq always waits for the broker's
 * `consume-ok`, which is how it learns that an `exclusive` consumer was
 * refused.
 *
 * @example
 * ```yaml
 * driver_options:
 *   amqp: { consumer_tag: worker-1, exclusive: true }
 * ```
 */
export const amqpConsumerOptionsSchema = z
  .object({
    /** Prefix of the consumer tag (`<tag>-<8 hex>`, as Wippy makes it). @default the consumer's registry ID */
    consumer_tag: z.string().min(1).max(200).optional(),
    /** Only this consumer may consume from the queue; the broker refuses it while another one is attached. @default false */
    exclusive: z.boolean().default(false),
    /** AMQP `no-local` (RabbitMQ does not implement it). @default false */
    no_local: z.boolean().default(false),
    /** AMQP `no-wait`: accepted, without effect (see above). @default false */
    no_wait: z.boolean().default(false),
  })
  .strict();

/** A validated consumer `driver_options.amqp` section. */
export type AmqpConsumerOptions = z.output<typeof amqpConsumerOptionsSchema>;
