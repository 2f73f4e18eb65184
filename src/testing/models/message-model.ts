import { assign, setup } from 'xstate';

/** Input of {@link messageModel}. */
export interface MessageModelInput {
  /**
   * The queue's `dead_letter.max_attempts`: failed attempts after which the
   * message is dead-lettered. Bounds the model (a queue without
   * `dead_letter` retries forever, which no finite model covers).
   * @default 3
   */
  readonly maxAttempts?: number;
}

/**
 * Events of {@link messageModel}: one delivery attempt and how the
 * handler ends it. `SUCCEED`: it returns (or acks); `FAIL`: it throws (or
 * nacks).
 */
export type MessageModelEvent = { type: 'SUCCEED' } | { type: 'FAIL' };

/**
 * Abstract model of one published message across its delivery attempts,
 * on a queue with `dead_letter`: where it ends for each sequence of
 * handler outcomes. Input {@link MessageModelInput}.
 *
 * ```
 * queued --SUCCEED--> acked
 *        --FAIL (failures + 1 < maxAttempts)--> queued (requeued, attempts header + 1)
 *        --FAIL (the maxAttempts-th failure)--> deadLettered
 * ```
 *
 * `context.failures` is the message's `attempts` header at each delivery.
 * With `xstate/graph`, `getShortestPaths` gives one path per outcome and
 * attempt count ("fails twice, then succeeds"), `getSimplePaths` the same
 * here (the model has no cycles of states). Written as a specification
 * of `src/consumer/settle-policy.ts`, not derived from it.
 *
 * @example
 * ```ts
 * const paths = createTestModel(messageModel, { input: { maxAttempts: 3 } }).getShortestPaths()
 * // FAIL, FAIL, FAIL -> deadLettered; FAIL, SUCCEED -> acked; ...
 * ```
 */
export const messageModel = setup({
  types: {
    context: {} as { failures: number; maxAttempts: number },
    input: {} as MessageModelInput | undefined,
    events: {} as MessageModelEvent,
  },
  guards: {
    retriesLeft: ({ context }) => context.failures + 1 < context.maxAttempts,
  },
  actions: {
    countFailure: assign({ failures: ({ context }) => context.failures + 1 }),
  },
}).createMachine({
  id: 'message-model',
  context: ({ input }) => ({ failures: 0, maxAttempts: input?.maxAttempts ?? 3 }),
  initial: 'queued',
  states: {
    queued: {
      on: {
        SUCCEED: 'acked',
        FAIL: [
          { guard: 'retriesLeft', target: 'queued', reenter: true, actions: 'countFailure' },
          { target: 'deadLettered', actions: 'countFailure' },
        ],
      },
    },
    acked: { type: 'final' },
    deadLettered: { type: 'final' },
  },
});
