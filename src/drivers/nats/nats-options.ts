import { z } from 'zod';
import { durationSchema } from '../../util/duration.ts';

/** Server used when a driver entry gives none. */
export const DEFAULT_NATS_SERVER = 'nats://127.0.0.1:4222';

/** Default `ack_wait`: how long JetStream waits for a settle before redelivering. */
export const DEFAULT_ACK_WAIT_MS = 30_000;

/** Smallest `ack_wait` accepted: in-progress signals go out at half of it, checked every quarter. */
const MIN_ACK_WAIT_MS = 1_000;

/** JetStream's own default duplicate window, written explicitly so a stream's settings are all in the config. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

// Secrets are taken as string or number so that zod never has to echo a
// wrong-typed value back in an error message.
const secretSchema = z.union([z.string(), z.number()]).transform(String);

/**
 * One server: `nats://host:port`, `tls://host:port`, or `host:port`. The
 * message never repeats the value: it may carry a password.
 */
const serverSchema = z.string().refine(
  (text) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `nats://${text}`;
    try {
      const u = new URL(withScheme);
      return (u.protocol === 'nats:' || u.protocol === 'tls:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'expected a server like "nats://host:4222", "tls://host:4222" or "host:4222"' },
);

const tlsSchema = z.union([
  z.boolean(),
  z
    .object({
      /** Path of a PEM file with the CA certificate(s) to trust. */
      ca: z.string().min(1).optional(),
      /** Path of a PEM file with the client certificate. */
      cert: z.string().min(1).optional(),
      /** Path of a PEM file with the client private key. */
      key: z.string().min(1).optional(),
      /** TLS before the NATS handshake (server option `handshake_first`). @default false */
      handshake_first: z.boolean().default(false),
    })
    .strict()
    .superRefine((tls, ctx) => {
      if ((tls.cert === undefined) !== (tls.key === undefined)) {
        ctx.addIssue({ code: 'custom', path: [tls.cert === undefined ? 'cert' : 'key'], message: 'give cert and key together' });
      }
    }),
]);

/**
 * Fields of a `queue.driver.nats` entry (durations in ms). At most one way
 * to authenticate: `user`/`password`, `token`, `nkey` (a seed file) or
 * `credentials` (a `.creds` file). None of their values is ever logged.
 *
 * @example
 * ```yaml
 * - name: nats
 *   kind: queue.driver.nats
 *   servers: [nats://n1:4222, nats://n2:4222]
 *   credentials: /etc/actorq/app.creds
 * ```
 */
export const natsDriverOptionsSchema = z
  .object({
    /** One server or a list; a reconnect tries them in turn. @default 'nats://127.0.0.1:4222' */
    servers: z.union([serverSchema, z.array(serverSchema).min(1)]).default(DEFAULT_NATS_SERVER),
    user: z.string().min(1).optional(),
    password: secretSchema.optional(),
    token: secretSchema.optional(),
    /** Path of a file holding an nkey seed (`SU...`). */
    nkey: z.string().min(1).optional(),
    /** Path of a `.creds` file (user JWT and nkey seed). */
    credentials: z.string().min(1).optional(),
    /** `true`, or certificate files. A `tls://` server turns it on. */
    tls: tlsSchema.optional(),
    /** Connection name shown by the server's monitoring. @default the driver's registry ID */
    name: z.string().min(1).optional(),
    /** Time allowed to open a connection. @default 10s */
    connect_timeout: durationSchema.default(10_000),
    /** First reconnect delay after a lost connection. @default 500ms */
    reconnect_delay: durationSchema.default(500),
    /** Cap of the exponential reconnect backoff. @default 30s */
    reconnect_max_delay: durationSchema.default(30_000),
    /** Client pings this often; two unanswered pings count as a lost connection. @default 10s */
    ping_interval: durationSchema.default(10_000),
    /** How long a JetStream API call or a publish acknowledgement may take. @default 10s */
    request_timeout: durationSchema.default(10_000),
    /** How long a publish (or `info`) waits for a lost connection to come back before failing with DRIVER_UNAVAILABLE. @default 30s */
    publish_timeout: durationSchema.default(30_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.password !== undefined && o.user === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'password needs user' });
    const ways = [o.user !== undefined ? 'user' : '', o.token !== undefined ? 'token' : '', o.nkey !== undefined ? 'nkey' : '', o.credentials !== undefined ? 'credentials' : ''].filter(Boolean);
    if (ways.length > 1) ctx.addIssue({ code: 'custom', path: [ways[1]!], message: `give one way to authenticate, not ${ways.join(' and ')}` });
    if (o.reconnect_max_delay < o.reconnect_delay) ctx.addIssue({ code: 'custom', path: ['reconnect_max_delay'], message: 'must be >= reconnect_delay' });
    for (const f of ['connect_timeout', 'request_timeout', 'ping_interval'] as const) if (o[f] <= 0) ctx.addIssue({ code: 'custom', path: [f], message: 'must be positive' });
  });

/** A validated `queue.driver.nats` entry's fields. */
export type NatsDriverOptions = z.output<typeof natsDriverOptionsSchema>;

/**
 * `driver_options.nats` of a queue: where it lives in JetStream and the
 * settings of its stream and consumer. A queue is one stream (work-queue
 * retention) with one durable pull consumer that every actorq consumer of
 * the queue shares; see `docs/nats-driver.md`.
 *
 * @example
 * ```yaml
 * driver_options:
 *   nats: { stream: TASKS, subject: tasks, ack_wait: 30s, storage: file, replicas: 1, max_age: 0 }
 * ```
 */
export const natsQueueOptionsSchema = z
  .object({
    /** Stream name. @default the queue name, with characters a stream name cannot hold replaced (see `nats-names.ts`) */
    stream: z.string().optional(),
    /** The one subject the queue's messages are published on. @default the queue name */
    subject: z.string().optional(),
    /** Time JetStream gives a delivery before redelivering it; in-progress signals keep slow handlers' messages. @default 30s */
    ack_wait: durationSchema
      .default(DEFAULT_ACK_WAIT_MS)
      .refine((ms) => ms >= MIN_ACK_WAIT_MS, { message: `must be at least ${MIN_ACK_WAIT_MS}ms` }),
    /** `file` (survives a server restart) or `memory`. @default 'file' */
    storage: z.enum(['file', 'memory']).default('file'),
    /** Copies kept in a cluster. @default 1 */
    replicas: z.number().int().min(1).max(5).default(1),
    /** Messages older than this are discarded by the server; `0` = never. @default 0 */
    max_age: durationSchema.default(0),
    /** Window in which a second publish with the same message ID is dropped (`Nats-Msg-Id`). @default 2m */
    duplicate_window: durationSchema.default(DEFAULT_DUPLICATE_WINDOW_MS).refine((ms) => ms > 0, { message: 'must be > 0' }),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.max_age > 0 && o.duplicate_window > o.max_age) {
      ctx.addIssue({ code: 'custom', path: ['duplicate_window'], message: 'must not be longer than max_age' });
    }
  });

/** A validated `driver_options.nats`. */
export type NatsQueueOptions = z.output<typeof natsQueueOptionsSchema>;
