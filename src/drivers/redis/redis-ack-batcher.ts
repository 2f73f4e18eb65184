/**
 * Acks of one consumer collected over an event-loop turn: a busy consumer
 * acks hundreds of messages per turn, and removing them with one command
 * (or inside the next fetch, see `RedisConsumption`) costs Redis little
 * more than removing one. Every ack of a batch shares one promise, settled
 * by whoever sends the batch. @internal
 */
export class AckBatcher {
  readonly #onFirst: () => void;
  #tokens: number[] = [];
  #batch: AckBatch | undefined;
  /** Batches whose removal is not confirmed yet (the one collecting included). */
  readonly #outstanding = new Set<AckBatch>();

  /** `onFirst` runs when a batch gets its first ack: the owner schedules the send. */
  constructor(onFirst: () => void) {
    this.#onFirst = onFirst;
  }

  /** Queues `token` for removal; resolves when its batch is gone from Redis. */
  add(token: number): Promise<void> {
    this.#tokens.push(token);
    if (this.#batch) return this.#batch.promise;
    const batch = new AckBatch();
    this.#batch = batch;
    const p = batch.promise;
    this.#outstanding.add(batch);
    // Marked handled: a caller that does not await an ack must not crash the
    // process; callers that do await still see the rejection.
    p.catch(() => {}).finally(() => this.#outstanding.delete(batch));
    this.#onFirst();
    return p;
  }

  /** Takes the acks collected so far (undefined if none); the caller must settle the batch. */
  take(): AckBatch | undefined {
    const batch = this.#batch;
    if (!batch) return undefined;
    batch.tokens = this.#tokens;
    this.#tokens = [];
    this.#batch = undefined;
    return batch;
  }

  /** Resolves when every ack added so far has been sent (or failed). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#outstanding].map((b) => b.promise));
  }

  /**
   * Tokens acked whose removal Redis has not confirmed: they may still be in
   * the processing hash, and must not be taken for strays there.
   */
  unconfirmed(): Set<number> {
    const out = new Set(this.#tokens);
    for (const b of this.#outstanding) for (const t of b.tokens) out.add(t);
    return out;
  }
}

/** Tokens acked in one turn and the promise their acks share. @internal */
export class AckBatch {
  tokens: number[] = [];
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /**
   * The tokens as inclusive ranges, flat (`[from, to, from, to, ...]`), for
   * the fetch script. Tokens are handed out consecutively and mostly acked
   * in order, so a batch is a range or a few: two arguments instead of one
   * per ack, which the client must encode and Redis parse.
   */
  ranges(): number[] {
    const t = this.tokens.slice().sort((a, b) => a - b);
    const out: number[] = [];
    let from = t[0]!;
    let to = from;
    for (let i = 1; i < t.length; i++) {
      const x = t[i]!;
      if (x === to + 1) to = x;
      else if (x !== to) {
        out.push(from, to);
        from = to = x;
      }
    }
    if (t.length > 0) out.push(from, to);
    return out;
  }
}
