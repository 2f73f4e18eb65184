import { z } from 'zod';
import type { DriverKind } from '../../kinds/kind-descriptors.ts';
import { durationSchema } from '../../util/duration.ts';

/** Default `visibility_timeout`: how long a silent consumer's messages stay claimed. */
export const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;

/** Default driver `url`. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Default `key_prefix`. */
export const DEFAULT_KEY_PREFIX = 'actorq:';

/** Smallest `visibility_timeout` accepted: heartbeats run at a third of it. */
const MIN_VISIBILITY_TIMEOUT_MS = 300;

// Secrets are taken as string or number so that zod never has to echo a
// wrong-typed password back in an error message.
const secretSchema = z.union([z.string(), z.number()]).transform(String);

const tlsSchema = z.union([
  z.boolean(),
  z
    .object({
      /** PEM text of the CA bundle to trust. */
      ca: z.string().optional(),
      /** PEM client certificate. */
      cert: z.string().optional(),
      /** PEM client key. */
      key: z.string().optional(),
      /** SNI / certificate host name. */
      servername: z.string().optional(),
      /** @default true */
      reject_unauthorized: z.boolean().default(true),
    })
    .strict(),
]);

/**
 * `queue.driver.redis` entry fields, after validation (durations in ms).
 * Give either `url` or `host`/`port`; `password`, `username` and `db`
 * combine with both and win over the URL's.
 */
export const redisDriverOptionsSchema = z
  .object({
    /** `redis://[user:pass@]host:port[/db]` or `rediss://...` (TLS). @default 'redis://127.0.0.1:6379' */
    url: z
      .string()
      .refine((u) => /^rediss?:\/\/[^/?#]/i.test(u), { message: 'expected a URL starting with redis:// or rediss:// followed by a host' })
      .optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    username: z.string().optional(),
    password: secretSchema.optional(),
    db: z.number().int().min(0).optional(),
    /** Prefix of every key and channel the driver uses. @default 'actorq:' */
    key_prefix: z.string().min(1).default(DEFAULT_KEY_PREFIX),
    /** `true`, or certificate settings. `rediss://` URLs turn it on. */
    tls: tlsSchema.optional(),
    /** First reconnect delay after a lost connection. @default 500ms */
    reconnect_delay: durationSchema.default(500),
    /** Cap of the exponential reconnect backoff. @default 30s */
    reconnect_max_delay: durationSchema.default(30_000),
    /** Time allowed to open a connection. @default 10s */
    connect_timeout: durationSchema.default(10_000),
    /** How long a publish waits for a lost connection to come back before failing with DRIVER_UNAVAILABLE. @default 30s */
    publish_timeout: durationSchema.default(30_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.url !== undefined && (o.host !== undefined || o.port !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'give either url or host/port, not both' });
    }
    if (o.reconnect_max_delay < o.reconnect_delay) {
      ctx.addIssue({ code: 'custom', path: ['reconnect_max_delay'], message: 'must be >= reconnect_delay' });
    }
  });

/** Validated `queue.driver.redis` fields. */
export type RedisDriverOptions = z.output<typeof redisDriverOptionsSchema>;

/** `driver_options.redis` of a queue, after validation (durations in ms). */
export const redisQueueOptionsSchema = z
  .object({
    /** Most ready messages the queue holds for publishers; unset = unbounded. */
    max_length: z.number().int().positive().optional(),
    /** What a publish beyond `max_length` does: wait for room, or fail with PUBLISH_REJECTED. @default 'wait' */
    on_full: z.enum(['wait', 'fail']).default('wait'),
    /** A consumer silent (no heartbeat) for this long loses its messages back to the queue. @default 30s */
    visibility_timeout: durationSchema
      .default(DEFAULT_VISIBILITY_TIMEOUT_MS)
      .refine((ms) => ms >= MIN_VISIBILITY_TIMEOUT_MS, { message: `must be at least ${MIN_VISIBILITY_TIMEOUT_MS}ms` }),
    /** Messages not delivered within this time after publish are dropped. Unset = never. */
    message_ttl: durationSchema.refine((ms) => ms > 0, { message: 'must be > 0' }).optional(),
  })
  .strict();

/** Validated `driver_options.redis`. */
export type RedisQueueOptions = z.output<typeof redisQueueOptionsSchema>;

/**
 * `queue.driver.redis`: durable-while-Redis-lives queues shared by many
 * processes, at-least-once, with crash recovery by heartbeat.
 */
export const redisDriverKind: DriverKind = {
  kind: 'queue.driver.redis',
  optionsKey: 'redis',
  schema: redisDriverOptionsSchema,
  queueOptionsSchema: redisQueueOptionsSchema,
  async create(entry, env) {
    const { RedisDriver } = await import('./redis-driver.ts');
    return new RedisDriver(entry.id, redisDriverOptionsSchema.parse(entry.options), { logger: env.logger });
  },
};
