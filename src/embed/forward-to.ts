import { createActor, fromCallback, type AnyActorRef } from 'xstate';
import type { Handler } from '../functions/handler.ts';
import type { Headers } from '../message/message.ts';
import type { DelayValue } from '../message/delay.ts';
import { ActorqError } from '../errors/actorq-error.ts';

/**
 * The event {@link forwardTo} sends to the app's actor for each message.
 * The actor answers by sending an {@link ForwardReply} with the same
 * `requestId` to `replyTo`.
 */
export interface ForwardedMessage<TBody = unknown> {
  /** `actorq.message` unless `ForwardToOptions.type` says otherwise. */
  readonly type: string;
  readonly body: TBody;
  /** The message ID. */
  readonly id: string;
  readonly headers: Readonly<Headers>;
  /** The consumer that received the message. */
  readonly consumerId: string;
  /** Echo it in the reply. */
  readonly requestId: string;
  /** Where the reply goes. */
  readonly replyTo: AnyActorRef;
}

/**
 * The app actor's answer to a {@link ForwardedMessage}: `actorq.ack` acks
 * the message; `actorq.nack` nacks it (requeue or dead-letter as the
 * queue's policy says), with `delay` before its next delivery if given.
 */
export type ForwardReply =
  | { readonly type: 'actorq.ack'; readonly requestId: string }
  | { readonly type: 'actorq.nack'; readonly requestId: string; readonly reason?: string; readonly delay?: DelayValue };

/** Options of {@link forwardTo}. */
export interface ForwardToOptions {
  /** The forwarded event's `type`. @default 'actorq.message' */
  readonly type?: string;
  /** How long to wait for the reply before nacking, in ms. @default 30000 */
  readonly timeout?: number;
}

/** Default of {@link ForwardToOptions.timeout}. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 30_000;

interface Pending {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A handler that hands each message to a long-lived actor of the app as an
 * event ({@link ForwardedMessage}) and settles the message by the actor's
 * reply: `actorq.ack` acks it, `actorq.nack` nacks it. No reply within
 * `timeout`, or the actor stopping or failing before it replied, nacks it.
 * The consumer's own `timeout` applies as to any handler; when the consumer
 * stops, the handler waits on for the reply within `stop_timeout` like any
 * other (a reply arriving after the message was released changes nothing).
 *
 * XState also exports an action called `forwardTo`; import this one under
 * another name where both are used.
 *
 * @example
 * ```ts
 * const orders = createActor(ordersMachine).start()
 * createRuntime({ files: ['config/'], functions: { 'app:orders': forwardTo(orders) } })
 * // in ordersMachine, once the order is handled:
 * //   sendTo(({ context }) => context.replyTo, ({ context }) => ({ type: 'actorq.ack', requestId: context.requestId }))
 * ```
 */
export function forwardTo(target: AnyActorRef, options: ForwardToOptions = {}): Handler {
  const type = options.type ?? 'actorq.message';
  const timeout = options.timeout ?? DEFAULT_FORWARD_TIMEOUT_MS;
  const pending = new Map<string, Pending>();
  let nextRequest = 0;
  let inbox: AnyActorRef | undefined;

  const failAll = (why: string) => {
    for (const [id, p] of [...pending]) {
      pending.delete(id);
      p.reject(new ActorqError('LIFECYCLE', why));
    }
  };
  // Made at the first message: replies come back to it, and the target's end fails what waits.
  const inboxRef = (): AnyActorRef => {
    if (inbox) return inbox;
    inbox = createActor(
      fromCallback<ForwardReply>(({ receive }) => {
        receive((reply) => {
          const waiting = pending.get(reply.requestId);
          if (!waiting) return; // late: the message was settled or released already
          pending.delete(reply.requestId);
          if (reply.type === 'actorq.ack') waiting.resolve();
          else waiting.reject(nackReason(reply));
        });
      }),
    ).start();
    target.subscribe({
      error: (error) => failAll(`actor ${target.id} failed before replying: ${error instanceof Error ? error.message : String(error)}`),
      complete: () => failAll(`actor ${target.id} stopped before replying`),
    });
    return inbox;
  };

  return (body, ctx) => {
    const status = target.getSnapshot().status;
    if (status !== 'active') return Promise.reject(new ActorqError('LIFECYCLE', `forwardTo: actor ${target.id} is not running (${status}); the message was not forwarded`));
    const replyTo = inboxRef();
    const requestId = String(++nextRequest);
    return new Promise<void>((resolve, reject) => {
      const signal = ctx.signal;
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (error: unknown) => {
        if (!pending.delete(requestId)) return;
        finish();
        reject(error);
      };
      // Past the consumer's timeout the message is nacked already: stop waiting. A
      // consumer that stops waits on, like any handler, within its stop_timeout.
      const onAbort = () => {
        if (signal.reason instanceof ActorqError && signal.reason.code === 'HANDLER_TIMEOUT') fail(signal.reason);
      };
      const timer = setTimeout(() => fail(new ActorqError('HANDLER_TIMEOUT', `no reply from actor ${target.id} within ${timeout}ms`)), timeout);
      // A wait for a reply never keeps a process alive on its own.
      timer.unref?.();
      pending.set(requestId, {
        resolve: () => {
          finish();
          resolve();
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      const event: ForwardedMessage = { type, body, id: ctx.message.id, headers: ctx.message.headers, consumerId: ctx.consumerId, requestId, replyTo };
      target.send(event);
    });
  };
}

/** The nack's reason as an error the consumer understands (`retryAfter` asks for the delay). */
function nackReason(reply: Extract<ForwardReply, { type: 'actorq.nack' }>): Error {
  const error = new Error(reply.reason ?? 'nacked by the app actor') as Error & { retryAfter?: DelayValue };
  if (reply.delay !== undefined) error.retryAfter = reply.delay;
  return error;
}
