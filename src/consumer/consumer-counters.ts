/**
 * Running totals of one consumer, plain numbers bumped on the hot path and
 * read by `info`, metrics and tests.
 */
export class ConsumerCounters {
  /** Messages received from the driver. */
  delivered = 0;
  acked = 0;
  /** Nacks, including those that dead-lettered. */
  nacked = 0;
  deadLettered = 0;
  /** Messages given back untouched (shutdown, or arriving after a drain began). */
  released = 0;
  /** Handlers that threw after settling early (their error is otherwise ignored). */
  lateErrors = 0;
  /** `ack()`/`nack()` calls that came after the handler's call was over (ignored). */
  lateSettles = 0;
  /**
   * Handlers still running after being detached from their worker (past
   * the consumer's `timeout`, or abandoned at a stop timeout): their message
   * was settled or released, their worker went on.
   */
  detached = 0;
  /** Detached handlers that finished since (their result was ignored). */
  lateResults = 0;

  /** A copy, for reporting. */
  snapshot(): Readonly<Omit<ConsumerCounters, 'snapshot'>> {
    const { delivered, acked, nacked, deadLettered, released, lateErrors, lateSettles, detached, lateResults } = this;
    return { delivered, acked, nacked, deadLettered, released, lateErrors, lateSettles, detached, lateResults };
  }
}
