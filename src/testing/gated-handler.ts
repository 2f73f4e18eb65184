import type { Handler, HandlerContext } from '../functions/handler.ts';

/** One call of a {@link GatedHandler}, open until the test finishes it. */
export interface GatedCall {
  readonly body: unknown;
  readonly ctx: HandlerContext;
  /** Whether `finish` was called. */
  readonly done: boolean;
  /** Ends the call: returns, or throws `error` when given. Later calls do nothing. */
  finish(error?: unknown): void;
}

/**
 * A handler whose every call stays open until the test finishes it, so a
 * test can hold a consumer `busy`, stop it while a handler runs, or let a
 * handler outlive its `timeout`. Counts what runs.
 *
 * @example
 * ```ts
 * const gate = new GatedHandler()
 * const t = createTestRuntime({ yaml, functions: { 'app:handler': gate.handler } })
 * await t.runtime.publish('app:queue', { n: 1 })
 * await until(() => expect(gate.open).toHaveLength(1))
 * gate.open[0].finish()
 * ```
 */
export class GatedHandler {
  /** Every call so far, in order. */
  readonly calls: GatedCall[] = [];
  /** Calls not finished yet. */
  running = 0;
  /** Most calls open at once. */
  maxRunning = 0;

  /** The handler to register. */
  readonly handler: Handler = (body, ctx) =>
    new Promise<void>((resolve, reject) => {
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      const call = {
        body,
        ctx,
        done: false,
        finish: (error?: unknown) => {
          if (call.done) return;
          call.done = true;
          this.running--;
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      this.calls.push(call);
    });

  /** Calls not finished yet, oldest first. */
  get open(): GatedCall[] {
    return this.calls.filter((c) => !c.done);
  }

  /** Finishes every open call (returning). */
  finishAll(): void {
    for (const call of this.open) call.finish();
  }
}
