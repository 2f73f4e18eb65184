import { createActor, type AnyActorLogic, type AnyActorRef, type InputFrom } from 'xstate';
import { ActorqError } from '../errors/actorq-error.ts';
import { ConfigError, type ConfigIssue } from '../errors/config-error.ts';
import type { Handler, HandlerContext } from './handler.ts';

const ACTOR_HANDLER = Symbol.for('actorq.actorHandler');

/**
 * XState actor logic run as a message handler, with a chosen input. Made by
 * {@link actorHandler}; bare actor logic in `functions` means the same with
 * the message body as input.
 */
export interface ActorHandler<TLogic extends AnyActorLogic = AnyActorLogic> {
  readonly [ACTOR_HANDLER]: true;
  readonly logic: TLogic;
  /** The actor's input for one message. @default the body */
  readonly input: ((body: any, ctx: HandlerContext) => InputFrom<TLogic>) | undefined;
}

/**
 * What a `functions` value may be: a plain handler, XState actor logic
 * (one actor per message, the body as its input), or an {@link ActorHandler}.
 */
export type FunctionValue = Handler | AnyActorLogic | ActorHandler;

/**
 * Runs `logic` as a message handler, one actor per message, with the input
 * `options.input` makes from the body and the handler context (its message
 * ID and headers, `publish`, `signal`). Without `input` this is the same as
 * putting `logic` itself in `functions`.
 *
 * The outcome settles the message: the actor reaching `done` (a promise
 * resolved, a machine in a final state) acks it; an error (a promise
 * rejected, a machine failing on an unhandled error) nacks it.
 *
 * @example
 * ```ts
 * functions: {
 *   'app:charge': actorHandler(chargeMachine, { input: (body, ctx) => ({ order: body, id: ctx.message.id }) }),
 * }
 * ```
 */
export function actorHandler<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: { readonly input?: (body: any, ctx: HandlerContext) => InputFrom<TLogic> } = {},
): ActorHandler<TLogic> {
  return { [ACTOR_HANDLER]: true, logic, input: options.input };
}

/** Whether `value` is XState actor logic (a machine, `fromPromise(...)`, ...). */
export function isActorLogic(value: unknown): value is AnyActorLogic {
  const v = value as Partial<AnyActorLogic> | null;
  return typeof v === 'object' && v !== null && typeof v.transition === 'function' && typeof v.getInitialSnapshot === 'function';
}

function isActorHandler(value: unknown): value is ActorHandler {
  return typeof value === 'object' && value !== null && (value as ActorHandler)[ACTOR_HANDLER] === true;
}

/** Handlers ready for consumers, and what the runtime tells the handler actors. @internal */
export interface HandlerSet {
  /** By function ID. Plain functions are the very values given. */
  readonly handlers: Readonly<Record<string, Handler>>;
  /**
   * Consumer `consumerId` has stopped: handler actors still running for it
   * after its stop began hold messages the stop released at `stop_timeout`;
   * they are stopped now, so nothing of the consumer runs on.
   */
  consumerStopped(consumerId: string): void;
  /** Handler actors running now. */
  readonly live: number;
}

/** One running handler actor. */
interface LiveActor {
  readonly actor: AnyActorRef;
  /** The consumer began to stop while the actor ran. */
  stopping: boolean;
  settle(error: unknown): void;
}

/**
 * Turns `functions` into plain handlers. Plain functions are passed through
 * as they are, so a consumer with a plain handler pays nothing for this;
 * actor logic is wrapped once here, and its wrapper creates one actor per
 * message.
 *
 * @throws ConfigError naming each value that is neither a function nor actor logic.
 * @internal Called by the runtime at load.
 */
export function handlersOf(functions: Readonly<Record<string, FunctionValue>>): HandlerSet {
  const live = new Map<string, Set<LiveActor>>();
  let count = 0;
  const handlers: Record<string, Handler> = {};
  const issues: ConfigIssue[] = [];
  for (const [id, value] of Object.entries(functions)) {
    if (typeof value === 'function') handlers[id] = value;
    else if (isActorHandler(value)) handlers[id] = wrap(value.logic, value.input);
    else if (isActorLogic(value)) handlers[id] = wrap(value, undefined);
    else issues.push({ entryId: id, field: 'functions', message: `expected a function or XState actor logic, got ${describe(value)}` });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  function wrap(logic: AnyActorLogic, input: ActorHandler['input']): Handler {
    return (body, ctx) =>
      new Promise((resolve, reject) => {
        let actor: AnyActorRef;
        try {
          actor = createActor(logic, { input: input ? input(body, ctx) : body });
        } catch (error) {
          reject(error);
          return;
        }
        const signal = ctx.signal;
        let mine = live.get(ctx.consumerId);
        if (!mine) live.set(ctx.consumerId, (mine = new Set()));
        const done = (): boolean => {
          if (!mine.delete(entry)) return false;
          count--;
          signal.removeEventListener('abort', onAbort);
          return true;
        };
        const entry: LiveActor = {
          actor,
          stopping: false,
          settle: (error) => {
            if (!done()) return;
            // Settled first: the actor's own completion on stop must find nothing left to do.
            reject(error);
            actor.stop();
          },
        };
        const onAbort = (): void => {
          const reason: unknown = signal.reason;
          // Past the consumer's `timeout` the message is nacked already: stop the actor now.
          if (reason instanceof ActorqError && reason.code === 'HANDLER_TIMEOUT') entry.settle(reason);
          // The consumer is stopping: like any handler, it may finish within
          // `stop_timeout` (its outcome settles the message); see consumerStopped.
          else entry.stopping = true;
        };
        mine.add(entry);
        count++;
        actor.subscribe({
          complete: () => {
            const snapshot = actor.getSnapshot();
            if (done()) {
              if (snapshot.status === 'done') resolve(snapshot.output);
              else reject(new ActorqError('ABORTED', `handler actor ended without output (${snapshot.status})`));
            }
          },
          error: (error) => {
            if (done()) reject(error);
          },
        });
        signal.addEventListener('abort', onAbort, { once: true });
        actor.start();
      });
  }

  return {
    handlers,
    consumerStopped(consumerId) {
      const mine = live.get(consumerId);
      if (!mine) return;
      for (const entry of [...mine]) {
        if (entry.stopping) entry.settle(new ActorqError('ABORTED', `consumer ${consumerId} stopped; the message of this handler actor went back to the queue`));
      }
    },
    get live() {
      return count;
    },
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without transition/getInitialSnapshot' : typeof value;
}
