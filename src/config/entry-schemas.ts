import { z } from 'zod';
import { durationSchema } from '../util/duration.ts';
import { lifecycleSchema } from './lifecycle-schema.ts';
import type { RetryPolicy } from './entry-types.ts';
import { DEFAULT_MAX_MESSAGE_SIZE } from '../message/validate-message.ts';

/** Fields of a `security.policy` entry; defined beside the evaluator that reads them. */
export { policyEntrySchema } from '../security/policy-schema.ts';

/**
 * Bounds of a queue's `max_message_size`, in bytes. Below 1 KiB even the
 * headers every message carries would hardly fit; 128 MiB is RabbitMQ's
 * own ceiling for a message.
 */
export const MESSAGE_SIZE_LIMITS = { default: DEFAULT_MAX_MESSAGE_SIZE, min: 1024, max: 128 * 1024 * 1024 } as const;

/** `max_message_size`: bytes as a whole number, within {@link MESSAGE_SIZE_LIMITS}. */
const maxMessageSize = z
  .number()
  .int()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return MESSAGE_SIZE_LIMITS.default;
    if (v < MESSAGE_SIZE_LIMITS.min || v > MESSAGE_SIZE_LIMITS.max) {
      ctx.addIssue({ code: 'custom', message: `max_message_size ${v} is outside ${MESSAGE_SIZE_LIMITS.min}..${MESSAGE_SIZE_LIMITS.max} bytes` });
      return z.NEVER;
    }
    return v;
  });

/** Defaults of a queue's `retry` block (durations in ms): those of `lifecycle.restart`. */
export const RETRY_DEFAULTS: RetryPolicy = { initial_delay: 1_000, max_delay: 90_000, backoff_factor: 2, jitter: 0.1 };

/**
 * `retry` on a queue: how long a nacked message waits before it is
 * delivered again, the same shape as `lifecycle.restart` (without
 * `max_attempts`: `dead_letter.max_attempts` ends the retries).
 */
const retrySchema = z
  .object({
    initial_delay: durationSchema.default(RETRY_DEFAULTS.initial_delay),
    max_delay: durationSchema.default(RETRY_DEFAULTS.max_delay),
    // Below 1 the wait would shrink with each failure, hammering a sick downstream.
    backoff_factor: z.number().min(1).default(RETRY_DEFAULTS.backoff_factor),
    jitter: z.number().min(0).max(1).default(RETRY_DEFAULTS.jitter),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Runs even when a sibling failed; compare only two parsed delays.
    if (typeof r.max_delay === 'number' && typeof r.initial_delay === 'number' && r.max_delay < r.initial_delay) {
      ctx.addIssue({ code: 'custom', path: ['max_delay'], message: `max_delay (${r.max_delay}ms) must not be below initial_delay (${r.initial_delay}ms)` });
    }
  });

/** Consumer limits, as in Wippy. */
export const CONSUMER_LIMITS = {
  concurrency: { default: 1, max: 1000 },
  prefetch: { default: 10, max: 10_000 },
} as const;

/**
 * A positive count with a default and a ceiling. Values <= 0 take the
 * default (Wippy does the same, so `0` means "unset"); values above the
 * ceiling are an error rather than silently clamped, because a config
 * asking for 5000 workers is more likely a typo than a wish for 1000.
 */
function boundedCount(field: keyof typeof CONSUMER_LIMITS) {
  const { default: fallback, max } = CONSUMER_LIMITS[field];
  return z
    .number()
    .int()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v <= 0) return fallback;
      if (v > max) {
        ctx.addIssue({ code: 'custom', message: `${field} ${v} exceeds maximum ${max}` });
        return z.NEVER;
      }
      return v;
    });
}

/**
 * Fields of a `queue.consumer` entry (besides name/kind/meta).
 *
 * @example
 * ```ts
 * consumerSchema.parse({ queue: 'app:q', func: 'app:f', concurrency: 0 }).concurrency // 1
 * ```
 */
export const consumerSchema = z
  .object({
    queue: z.string(),
    func: z.string(),
    concurrency: boundedCount('concurrency'),
    prefetch: boundedCount('prefetch'),
    /** Per-message handler time limit; 0 or absent = none. */
    timeout: durationSchema.optional(),
    // Accepted because Wippy configs carry them; the consumer decides what they mean.
    auto_ack: z.boolean().default(false),
    driver_options: z.record(z.string(), z.unknown()).optional(),
    lifecycle: lifecycleSchema,
  })
  .strict();

/**
 * Fields of a `queue.queue` entry (besides name/kind/meta). The
 * `driver_options` sections are only checked to be present here; each is
 * validated against its driver kind's `queueOptionsSchema` afterwards,
 * once the referenced driver's kind is known.
 *
 * @example
 * ```ts
 * queueSchema.parse({ driver: 'app:mem', dead_letter: { queue: 'app:dlq', max_attempts: 3 }, retry: { initial_delay: '1s' } })
 * ```
 */
export const queueSchema = z
  .object({
    driver: z.string(),
    queue_name: z.string().min(1).optional(),
    // JSON, Wippy's default codec (`json/plain` is Wippy's name for it); another codec
    // (Wippy's `application/msgpack`) would be silently ignored, so reject it.
    codec: z.enum(['json', 'json/plain']).optional(),
    driver_options: z.record(z.string(), z.unknown()).optional(),
    /** Legacy (seed) spelling of the current driver's `driver_options` section. */
    options: z.unknown().optional(),
    dead_letter: z
      .object({
        queue: z.string(),
        max_attempts: z.number().int().min(1),
      })
      .strict()
      .optional(),
    /** Backoff between deliveries of a nacked message; absent = requeue at once. */
    retry: retrySchema.optional(),
    /** Largest message accepted by `publish`: bytes of JSON body + JSON headers. @default 1 MiB */
    max_message_size: maxMessageSize,
    lifecycle: lifecycleSchema,
  })
  .strict();
