import { z } from 'zod';
import { durationSchema } from '../util/duration.ts';
import type { Lifecycle } from './entry-types.ts';
import { securityBlockSchema } from '../security/security-block-schema.ts';

/** Defaults of the `lifecycle` block, as in Wippy (durations in ms). */
export const LIFECYCLE_DEFAULTS: Lifecycle = {
  auto_start: false,
  requires: [],
  start_timeout: 10_000,
  stop_timeout: 10_000,
  restart: { initial_delay: 1_000, max_delay: 90_000, backoff_factor: 2, jitter: 0.1, max_attempts: 0 },
};

const d = LIFECYCLE_DEFAULTS;

/** `lifecycle.restart`: exponential backoff between restarts. */
const restartSchema = z
  .object({
    initial_delay: durationSchema.default(d.restart.initial_delay),
    max_delay: durationSchema.default(d.restart.max_delay),
    // Below 1 the delay would shrink with each failure, hammering a sick backend.
    backoff_factor: z.number().min(1).default(d.restart.backoff_factor),
    jitter: z.number().min(0).max(1).default(d.restart.jitter),
    /** 0 = unlimited. */
    max_attempts: z.number().int().min(0).default(d.restart.max_attempts),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Runs even when a sibling failed; compare only two parsed delays.
    if (typeof r.max_delay === 'number' && typeof r.initial_delay === 'number' && r.max_delay < r.initial_delay) {
      ctx.addIssue({ code: 'custom', path: ['max_delay'], message: `max_delay (${r.max_delay}ms) must not be below initial_delay (${r.initial_delay}ms)` });
    }
  });

/** `lifecycle.security`: the actor and policies a consumer's handler runs with (see `docs/security.md`). */
const securitySchema = securityBlockSchema;

/**
 * The `lifecycle` block of drivers, queues and consumers. Absent means all
 * defaults. `requires` and its legacy alias `depends_on` are merged in
 * written order without duplicates; whether each names a real entry is
 * checked later, with the rest of the references.
 *
 * @example
 * ```ts
 * lifecycleSchema.parse({ depends_on: ['app:q'], stop_timeout: '30s' }).stop_timeout // 30000
 * ```
 */
export const lifecycleSchema = z
  .object({
    auto_start: z.boolean().default(d.auto_start),
    requires: z.array(z.string()).optional(),
    depends_on: z.array(z.string()).optional(),
    start_timeout: durationSchema.default(d.start_timeout),
    stop_timeout: durationSchema.default(d.stop_timeout),
    restart: restartSchema.prefault({}),
    security: securitySchema.optional(),
  })
  .strict()
  .prefault({})
  .transform((l): Lifecycle => {
    const { requires = [], depends_on = [], security, ...rest } = l;
    return { ...rest, requires: [...new Set([...requires, ...depends_on])], ...(security ? { security } : {}) };
  });
