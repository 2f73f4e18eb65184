/**
 * Which supervised entries an operation touches, and in what order. Pure
 * functions over plain data, so the runtime machine can plan inside its
 * own transitions and the visualiser and model tests see the same rules.
 */

/** What the supervisor knows of one child: enough to order starts and stops. */
export interface PlannedChild {
  /** Registry ID: the child actor's id and `systemId`. */
  readonly id: string;
  /**
   * Every supervised entry this one needs running first, transitively
   * (a consumer: its queue and that queue's driver; a queue: its driver).
   */
  readonly dependsOn: readonly string[];
}

/**
 * The entries to start for `targets`: the targets and everything they
 * depend on, in `children` order (which is a start order: dependencies
 * before dependents).
 */
export function startPlan(children: readonly PlannedChild[], targets: readonly string[]): string[] {
  const wanted = new Set<string>();
  for (const child of children) {
    if (!targets.includes(child.id)) continue;
    wanted.add(child.id);
    for (const dep of child.dependsOn) wanted.add(dep);
  }
  return children.filter((c) => wanted.has(c.id)).map((c) => c.id);
}

/**
 * The entries to stop for `targets`: the targets and everything that
 * depends on any of them, dependents first (reverse `children` order).
 */
export function stopPlan(children: readonly PlannedChild[], targets: readonly string[]): string[] {
  const wanted = new Set(targets);
  for (const child of children) if (child.dependsOn.some((dep) => wanted.has(dep))) wanted.add(child.id);
  return children
    .filter((c) => wanted.has(c.id))
    .map((c) => c.id)
    .reverse();
}

/** Merges a further plan into one under way, keeping `order` (a child id list) as the order. */
export function mergePlan(order: readonly string[], current: readonly string[], more: readonly string[]): string[] {
  const wanted = new Set([...current, ...more]);
  return order.filter((id) => wanted.has(id));
}
