import { z } from 'zod';
import { durationSchema } from '../../util/duration.ts';

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

/** A PEM value given either as a file path or as the name of an environment variable. */
const tlsSchema = z
  .object({
    /** Use TLS (`amqps`). An `amqps://` URL enables it as well. */
    enabled: z.boolean().default(false),
    /** Path of a PEM file with the CA certificate(s) to trust. */
    ca: z.string().min(1).optional(),
    /** Name of an environment variable holding the CA PEM text. */
    ca_env: z.string().min(1).optional(),
    /** Path of a PEM file with the client certificate. */
    cert: z.string().min(1).optional(),
    /** Name of an environment variable holding the client certificate PEM text. */
    cert_env: z.string().min(1).optional(),
    /** Path of a PEM file with the client private key. */
    key: z.string().min(1).optional(),
    /** Name of an environment variable holding the client key PEM text. */
    key_env: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((tls, ctx) => {
    for (const name of ['ca', 'cert', 'key'] as const) {
      if (tls[name] !== undefined && tls[`${name}_env`] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: `give ${name} or ${name}_env, not both` });
      }
    }
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

/**
 * Fields of a `queue.driver.amqp` entry.
 *
 * @example
 * ```yaml
 * - name: rabbit
 *   kind: queue.driver.amqp
 *   url: amqp://app:secret@rabbit:5672/
 *   heartbeat: 30s
 *   reconnect_max_delay: 1m
 * ```
 */
export const amqpDriverSchema = z
  .object({
    /** @default "amqp://guest:guest@localhost:5672/" */
    url: urlSchema.default(DEFAULT_AMQP_URL),
    /** Virtual host; overrides the URL's path. */
    vhost: z.string().optional(),
    /** AMQP heartbeat interval (sent to the broker in whole seconds; `0` disables). Broker's choice when unset. */
    heartbeat: durationSchema.optional(),
    /** @default 10s */
    connection_timeout: durationSchema.default(AMQP_DEFAULTS.connectionTimeout),
    /** @default 1s */
    reconnect_delay: durationSchema.default(AMQP_DEFAULTS.reconnectDelay),
    /** @default 30s */
    reconnect_max_delay: durationSchema.default(AMQP_DEFAULTS.reconnectMaxDelay),
    /** `basic.qos` for a consumption that does not state its own window. */
    prefetch_count: z.number().int().positive().max(65_535).optional(),
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
  });

/** A validated `queue.driver.amqp` entry's fields. */
export type AmqpDriverOptions = z.output<typeof amqpDriverSchema>;

/** TLS section of {@link AmqpDriverOptions}. */
export type AmqpTlsOptions = NonNullable<AmqpDriverOptions['tls']>;

/**
 * `driver_options.amqp` of a queue: arguments of its `queue.declare`.
 * Changing them for an existing queue makes the broker refuse the
 * declaration (PRECONDITION_FAILED), reported as a config error.
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
    max_length: z.number().int().positive().optional(),
    /**
     * `x-overflow` when `max_length` is reached: `drop_head` (broker default,
     * the oldest messages are discarded) or `reject_publish` (the publish is
     * refused and `publish()` rejects with `PublishRejectedError`).
     */
    overflow: z.enum(['drop_head', 'reject_publish']).optional(),
    /** `x-message-ttl`: a message not consumed within it is discarded. */
    message_ttl: durationSchema.optional(),
    /** `x-expires`: the queue is deleted after being unused this long. */
    queue_expiry: durationSchema.optional(),
    /** `x-max-priority`: enables the `amqp.priority` header (1-255). */
    max_priority: z.number().int().min(1).max(255).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.queue_expiry !== undefined && o.queue_expiry < 1) {
      ctx.addIssue({ code: 'custom', path: ['queue_expiry'], message: 'queue_expiry must be at least 1ms' });
    }
  });

/** A validated `driver_options.amqp` section. */
export type AmqpQueueOptions = z.output<typeof amqpQueueOptionsSchema>;

/** The `queue.declare` arguments for a queue's options (x-arguments as RabbitMQ names them). */
export function queueArguments(options: Readonly<Record<string, unknown>>): { durable: boolean; autoDelete: boolean; arguments: Record<string, unknown> } {
  const o = options as Partial<AmqpQueueOptions>;
  const args: Record<string, unknown> = {};
  if (o.max_length !== undefined) args['x-max-length'] = o.max_length;
  if (o.overflow !== undefined) args['x-overflow'] = o.overflow === 'reject_publish' ? 'reject-publish' : 'drop-head';
  if (o.message_ttl !== undefined) args['x-message-ttl'] = Math.round(o.message_ttl);
  if (o.queue_expiry !== undefined) args['x-expires'] = Math.max(1, Math.round(o.queue_expiry));
  if (o.max_priority !== undefined) args['x-max-priority'] = o.max_priority;
  return { durable: o.durable ?? true, autoDelete: o.auto_delete ?? false, arguments: args };
}
