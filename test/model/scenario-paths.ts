import { getInitialSnapshot, getNextSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import type { TransitionPath } from './transition-paths.ts';

/**
 * A hand-written path (a scenario longer than the generated ones, e.g. a
 * retry loop) run through the abstract model: every event must be one the
 * model accepts in the state reached so far, and the states come from the
 * model, so a scenario cannot disagree with the specification.
 */
export function scenarioPath(model: AnyStateMachine, description: string, events: readonly string[]): TransitionPath {
  let snapshot = getInitialSnapshot(model);
  const steps: { event: EventObject; state: typeof snapshot }[] = [];
  for (const type of events) {
    if (!snapshot.can({ type })) throw new Error(`scenario "${description}": model state ${JSON.stringify(snapshot.value)} does not accept ${type}`);
    snapshot = getNextSnapshot(model, snapshot, { type });
    steps.push({ event: { type }, state: snapshot });
  }
  return { description: `scenario: ${description}`, steps };
}
