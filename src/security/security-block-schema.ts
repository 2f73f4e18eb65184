import { z } from 'zod';

/**
 * A `security` block, as Wippy writes it: under `lifecycle` of a consumer,
 * and at the top of a function entry. `policies` and `groups` are full
 * registry IDs (no default namespace); whether each exists is checked with
 * the other references, and an unknown one fails the configuration.
 *
 * @example
 * ```yaml
 * security:
 *   actor: { id: "svc:router", meta: { role: worker } }
 *   policies: [app:can_publish]
 *   groups: [app:workers]
 * ```
 */
export const securityBlockSchema = z
  .object({
    actor: z.object({ id: z.string(), meta: z.record(z.string(), z.unknown()).optional() }).strict().optional(),
    groups: z.array(z.string()).optional(),
    policies: z.array(z.string()).optional(),
  })
  .strict();
