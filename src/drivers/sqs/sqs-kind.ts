import { z } from 'zod';
import type { DriverKind } from '../../kinds/kind-descriptors.ts';
import { durationSchema, parseDuration } from '../../util/duration.ts';

/** Receive `VisibilityTimeout` when a queue gives no `visibility_timeout`, in seconds (SQS's own default). */
export const DEFAULT_VISIBILITY_TIMEOUT_S = 30;

/** Long-poll wait when a queue gives no `wait_time`, in seconds (as in Wippy). */
export const DEFAULT_WAIT_TIME_S = 20;

// Secrets are taken as string or number so that zod never has to echo a
// wrong-typed key back in an error message.
const secretSchema = z.union([z.string().min(1), z.number()]).transform(String);

/**
 * A time SQS counts in whole seconds: a number of seconds (as Wippy and the
 * SQS API write it) or a Go-style duration string (`30s`, `15m`), which
 * may start with days (`4d`, `1d12h`). Produces seconds.
 */
function secondsSchema(min: number, max: number) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    let seconds: number | undefined;
    if (typeof value === 'number') seconds = Number.isFinite(value) && value >= 0 ? value : undefined;
    else if (/^\s*\d+\s*$/.test(value)) seconds = Number(value);
    else {
      const ms = parseDuration(value.trim().replace(/^(\d+(?:\.\d+)?)d/, (_, n: string) => `${Number(n) * 24}h`));
      seconds = ms === undefined ? undefined : ms / 1000;
    }
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid time ${JSON.stringify(value)}: expected a number of seconds or a duration like "30s", "15m", "4d"` });
      return z.NEVER;
    }
    if (!Number.isInteger(seconds)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a whole number of seconds: SQS counts this time in seconds` });
      return z.NEVER;
    }
    if (seconds < min || seconds > max) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is out of range: SQS accepts ${min} to ${max} seconds` });
      return z.NEVER;
    }
    return seconds;
  });
}

/** `http://` or `https://` with a host; the message never repeats the value. */
const endpointSchema = z.string().refine(
  (text) => {
    try {
      const u = new URL(text);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL with a host, e.g. "http://127.0.0.1:4566"' },
);

/**
 * Fields of a `queue.driver.sqs` entry. Times SQS counts in seconds are
 * seconds here too; the reconnect and publish waits are durations (ms).
 *
 * @example
 * ```yaml
 * - name: sqs
 *   kind: queue.driver.sqs
 *   region: eu-west-1
 *   message_retention_period: 4d
 * ```
 */
export const sqsDriverSchema = z
  .object({
    /** AWS region. @default AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1 when an endpoint is given */
    region: z.string().min(1).optional(),
    /** Another endpoint than AWS's: an emulator, a VPC endpoint. */
    endpoint: endpointSchema.optional(),
    /** With `secret_access_key`: static credentials. Without both, the AWS SDK's default credential chain. */
    access_key_id: secretSchema.optional(),
    secret_access_key: secretSchema.optional(),
    /** Session token of temporary credentials. */
    session_token: secretSchema.optional(),
    /** `MessageRetentionPeriod` of queues this driver creates (60 s to 14 days). SQS's default (4 days) when unset. */
    message_retention_period: secondsSchema(60, 1_209_600).optional(),
    /** `DelaySeconds` of queues this driver creates (0 to 900). */
    default_delay_seconds: secondsSchema(0, 900).optional(),
    /** `visibility_timeout` of this driver's queues that set none (Wippy's driver field). @default 30 (seconds) */
    visibility_timeout: secondsSchema(1, 43_200).optional(),
    /** `wait_time` of this driver's queues that set none (Wippy's driver field). @default 20 (seconds) */
    wait_time_seconds: secondsSchema(0, 20).optional(),
    /** First wait after the endpoint became unreachable. @default 1s */
    reconnect_delay: durationSchema.default(1_000),
    /** Cap of the growing wait between reachability probes. @default 30s */
    reconnect_max_delay: durationSchema.default(30_000),
    /** How long publish, declare and info wait for an unreachable endpoint before failing with DRIVER_UNAVAILABLE. @default 30s */
    publish_timeout: durationSchema.default(30_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.access_key_id === undefined) !== (o.secret_access_key === undefined)) {
      const missing = o.access_key_id === undefined ? 'access_key_id' : 'secret_access_key';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'give access_key_id and secret_access_key together, or neither (the default credential chain)' });
    }
    if (o.session_token !== undefined && o.access_key_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['session_token'], message: 'session_token needs access_key_id and secret_access_key' });
    }
    if (o.reconnect_max_delay < o.reconnect_delay) {
      ctx.addIssue({ code: 'custom', path: ['reconnect_max_delay'], message: 'reconnect_max_delay must not be shorter than reconnect_delay' });
    }
  });

/** Validated `queue.driver.sqs` fields. */
export type SqsDriverOptions = z.output<typeof sqsDriverSchema>;

/**
 * `driver_options.sqs` of a queue.
 *
 * @example
 * ```yaml
 * driver_options:
 *   sqs: { visibility_timeout: 30s, wait_time: 20s }
 * ```
 */
export const sqsQueueOptionsSchema = z
  .object({
    /**
     * How long a received message stays hidden from other consumers
     * (`VisibilityTimeout` of every receive). A handler running longer
     * than half of it gets it extended. @default 30 (seconds)
     */
    visibility_timeout: secondsSchema(1, 43_200).optional(),
    /** Long-poll wait of a receive (0 = short polling). @default 20 (seconds) */
    wait_time: secondsSchema(0, 20).optional(),
    /** `VisibilityTimeout` attribute of the queue when this driver creates it (Wippy's name); `visibility_timeout` when unset. */
    default_visibility_timeout: secondsSchema(0, 43_200).optional(),
    /**
     * SQS carries at most 10 message attributes. `error` (default): a
     * publish needing more fails with INVALID_MESSAGE. `pack`: the headers
     * beyond the ninth travel together in one `actorq.headers` attribute
     * (JSON), read back as headers by actorq.
     */
    header_overflow: z.enum(['error', 'pack']).default('error'),
  })
  .strict();

/** Validated `driver_options.sqs`. */
export type SqsQueueOptions = z.output<typeof sqsQueueOptionsSchema>;

/**
 * `driver_options.sqs` of a consumer: its own receive settings, over its
 * queue's (Wippy reads `visibility_timeout` and `wait_time` per consumer).
 *
 * @example
 * ```yaml
 * - name: worker
 *   kind: queue.consumer
 *   driver_options:
 *     sqs: { visibility_timeout: 2m, wait_time: 10 }
 * ```
 */
export const sqsConsumerOptionsSchema = z
  .object({
    /** `VisibilityTimeout` of this consumer's receives (its heartbeat follows it). */
    visibility_timeout: secondsSchema(1, 43_200).optional(),
    /** `WaitTimeSeconds` of this consumer's receives. */
    wait_time: secondsSchema(0, 20).optional(),
  })
  .strict();

/**
 * `queue.driver.sqs`: Amazon SQS (or a server speaking its API), with the
 * message attribute format of Wippy's SQS driver so that both can share a
 * queue. The AWS SDK is loaded only when a configuration uses this kind.
 * See `docs/sqs-driver.md`.
 */
export const sqsDriverKind: DriverKind = {
  kind: 'queue.driver.sqs',
  optionsKey: 'sqs',
  schema: sqsDriverSchema,
  queueOptionsSchema: sqsQueueOptionsSchema,
  consumerOptionsSchema: sqsConsumerOptionsSchema,
  async create(entry, env) {
    const { SqsDriver } = await import('./sqs-driver.ts');
    return new SqsDriver(entry.id, sqsDriverSchema.parse(entry.options), { logger: env.logger });
  },
};
