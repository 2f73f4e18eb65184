import { describe, expect, it } from 'vitest';
import { StateMachine, type AnyStateMachine } from 'xstate';
import { createTestModel } from 'xstate/graph';
import * as kit from '../../src/testing/index.ts';

/**
 * Every model `actorq/testing` exports is bounded: `xstate/graph`'s
 * `getShortestPaths` and `getSimplePaths` end, with a path to every state,
 * and `transitionPaths` gives one path per transition. The machines in
 * `machines/` are not models (they invoke actors and wait on timers, which
 * `createTestModel` rejects); the kit's models are what a test walks.
 */
const MODELS = Object.entries(kit).filter((entry): entry is [string, AnyStateMachine] => entry[1] instanceof StateMachine);

/** Generous bounds: a model past them has grown a cycle or a counter. */
const MAX_SHORTEST = 100;
const MAX_SIMPLE = 5_000;

describe('actorq/testing models are bounded', () => {
  it('exports the models of every lifecycle', () => {
    expect(MODELS.map(([name]) => name).sort()).toEqual(
      ['connectionModel', 'consumerModel', 'deliveryModel', 'driverModel', 'messageModel', 'queueModel', 'runtimeModel', 'stopRestartModel', 'workerModel'],
    );
  });

  it.each(MODELS)('%s: shortest and simple paths end, reaching every state', (_name, model) => {
    const testModel = createTestModel(model);
    const shortest = testModel.getShortestPaths();
    const simple = testModel.getSimplePaths();
    expect(shortest.length).toBeGreaterThan(0);
    expect(shortest.length).toBeLessThanOrEqual(MAX_SHORTEST);
    expect(simple.length).toBeLessThanOrEqual(MAX_SIMPLE);
    for (const paths of [shortest, simple]) {
      const reached = new Set(paths.flatMap((p) => p.steps.map((s) => JSON.stringify(s.state.value))));
      for (const state of Object.keys(model.states)) expect(reached, state).toContain(JSON.stringify(state));
    }
    // One path per transition: every (state, event) the model defines.
    const transitions = Object.values(model.states).reduce((n, node) => n + [...node.transitions.keys()].length, 0);
    expect(kit.transitionPaths(model).paths).toHaveLength(transitions);
  });

  it('messageModel: its input bounds it, one outcome path per attempt count', () => {
    for (const maxAttempts of [1, 3, 5]) {
      const outcomes = createTestModel(kit.messageModel, { input: { maxAttempts } } as never)
        .getShortestPaths()
        .filter((p) => p.state.status === 'done')
        .map((p) => `${String(p.state.value)}@${(p.state.context as { failures: number }).failures}`)
        .sort();
      const acked = Array.from({ length: maxAttempts }, (_, failures) => `acked@${failures}`);
      expect(outcomes).toEqual([...acked, `deadLettered@${maxAttempts}`].sort());
    }
  });
});
