import { isConsumerEntry, isDriverEntry, isFunctionEntry, isQueueEntry, type Registry } from '../config/registry.ts';

/**
 * Mermaid node id for a registry ID. Mermaid ids are safe only as
 * `[A-Za-z0-9_]`, and replacing the rest with `_` merged `orders-eu` and
 * `orders_eu` into one node. Instead `_` is the escape character: every
 * character outside `[A-Za-z0-9]` (the underscore included) becomes `_`,
 * its code point in hex, `_`. Decoding is unambiguous, so different IDs
 * always get different node ids.
 *
 * @example
 * ```ts
 * diagramNodeId('app.queue:orders-eu') // 'n_app_2e_queue_3a_orders_2d_eu'
 * diagramNodeId('app.queue:orders_eu') // 'n_app_2e_queue_3a_orders_5f_eu'
 * ```
 */
export const diagramNodeId = (id: string): string => `n_${id.replace(/[^A-Za-z0-9]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;
const nodeId = diagramNodeId;
/** A label safe inside Mermaid's `["..."]`. */
const label = (text: string) => text.replace(/"/g, '#quot;');

/**
 * The configured topology as a Mermaid flowchart, left to right:
 * drivers -> queues -> consumers -> functions, with each consumer's
 * `concurrency`/`prefetch` on its queue edge and dead-letter edges dashed.
 *
 * @example
 * ```ts
 * console.log(topologyDiagram(await loadConfig(['specs/seed'])))
 * // flowchart LR
 * //   n_app_2e_queue_3a_memory_5f_driver[("app.queue:memory_driver<br/>queue.driver.memory")]
 * //   ...
 * ```
 */
export function topologyDiagram(registry: Registry): string {
  const entries = [...registry.entries.values()];
  const lines = ['flowchart LR'];
  const node = (id: string, text: string, shape: [string, string]) => lines.push(`  ${nodeId(id)}${shape[0]}"${label(text)}"${shape[1]}`);
  lines.push('  subgraph drivers');
  for (const e of entries.filter(isDriverEntry)) node(e.id, `${e.id}<br/>${e.kind}`, ['[(', ')]']);
  lines.push('  end', '  subgraph queues');
  for (const e of entries.filter(isQueueEntry)) node(e.id, e.queue_name === e.name ? e.id : `${e.id}<br/>name: ${e.queue_name}`, ['[[', ']]']);
  lines.push('  end', '  subgraph consumers');
  for (const e of entries.filter(isConsumerEntry)) node(e.id, e.id, ['(', ')']);
  lines.push('  end', '  subgraph functions');
  for (const e of entries.filter(isFunctionEntry)) node(e.id, `${e.id}<br/>${e.kind}`, ['[/', '/]']);
  lines.push('  end');
  for (const q of entries.filter(isQueueEntry)) {
    lines.push(`  ${nodeId(q.driver)} --> ${nodeId(q.id)}`);
    if (q.dead_letter) lines.push(`  ${nodeId(q.id)} -. "dead letter after ${q.dead_letter.max_attempts} attempts" .-> ${nodeId(q.dead_letter.queue)}`);
  }
  for (const c of entries.filter(isConsumerEntry)) {
    lines.push(`  ${nodeId(c.queue)} -- "concurrency ${c.concurrency}, prefetch ${c.prefetch}" --> ${nodeId(c.id)}`);
    if (registry.entries.has(c.func)) lines.push(`  ${nodeId(c.id)} --> ${nodeId(c.func)}`);
    else lines.push(`  ${nodeId(c.id)} --> ${nodeId(c.func)}[/"${label(c.func)}<br/>(in code)"/]`);
  }
  return lines.join('\n');
}
