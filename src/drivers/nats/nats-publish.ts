import { NotFoundError } from '../../errors/not-found-error.ts';
import { DriverUnavailableError, PublishRejectedError } from '../../errors/lifecycle-errors.ts';
import type { EncodedMessage } from './nats-codec.ts';
import type { NatsSession } from './nats-connection.ts';
import { classify } from './nats-errors.ts';

/** Publishes in flight at once per call: the pipeline keeps this many acknowledgements outstanding. */
export const PUBLISH_WINDOW = 512;

/** What a confirmed send needs from the driver. @internal */
export interface PublishHost {
  readonly driverId: string;
  /** How long one publish acknowledgement may take. */
  readonly requestTimeout: number;
  /** The live session, waiting out a reconnect until `deadline`; throws DRIVER_STOPPED, DRIVER_UNAVAILABLE or ABORTED. */
  session(deadline: number, signal?: AbortSignal): Promise<NatsSession>;
  /** Creates a declared queue's stream and consumer again (the server lost them); `NotFoundError` for an undeclared one. */
  restore(queueName: string): Promise<void>;
}

/** One encoded message and the ID it is known by in errors. */
export interface Outgoing {
  readonly id: string;
  readonly encoded: EncodedMessage;
}

/** What became of one pipelined round. */
interface Round {
  readonly refused: { index: number; error: unknown }[];
  readonly missing: number[];
  readonly transient: number[];
}

/**
 * Publishes `messages` to `subject` with JetStream acknowledgements and
 * resolves once the server stored every one. The publishes are pipelined:
 * up to {@link PUBLISH_WINDOW} are on the wire at once, in order, on one
 * connection, so the stream stores them in order.
 *
 * Every message carries a `Nats-Msg-Id`, so sending one again is safe
 * within the stream's duplicate window: those whose acknowledgement was
 * lost (a time-out, a dropped connection) go again, once connected, until
 * `deadline`; a message sent again may land after those behind it. A
 * stream the server no longer has is created again once (the queue was
 * declared here) before the messages go again. A message the server
 * refuses (a limit, a permission) fails the call with PUBLISH_REJECTED
 * naming it; the others stay stored.
 *
 * @internal
 */
export async function sendConfirmed(host: PublishHost, queueName: string, subject: string, messages: readonly Outgoing[], deadline: number, signal?: AbortSignal): Promise<void> {
  let todo: number[] = messages.map((_, i) => i);
  let restored = false;
  for (;;) {
    const session = await host.session(deadline, signal);
    const round = await pipeline(session, subject, messages, todo, host.requestTimeout);
    if (round.refused.length > 0) throw refusal(host.driverId, queueName, messages, round.refused);
    if (round.missing.length > 0) {
      // Nobody answers for the subject: the stream is gone from the server.
      if (restored) throw new NotFoundError('queue', queueName, `driver ${host.driverId}: no stream on the server takes subject ${subject}`);
      restored = true;
      await host.restore(queueName);
      todo = [...round.missing, ...round.transient].sort((a, b) => a - b);
      continue;
    }
    if (round.transient.length === 0) return;
    todo = round.transient;
    if (Date.now() >= deadline) {
      const first = messages[todo[0]!]!.id;
      throw new DriverUnavailableError('DRIVER_UNAVAILABLE', `driver ${host.driverId}: publish to ${queueName}: ${todo.length} of ${messages.length} message(s) not confirmed in time, first ${first}`);
    }
  }
}

/** Sends `indexes` with at most {@link PUBLISH_WINDOW} unacknowledged, and sorts each outcome. */
function pipeline(session: NatsSession, subject: string, messages: readonly Outgoing[], indexes: readonly number[], timeout: number): Promise<Round> {
  return new Promise((resolve) => {
    const round: Round = { refused: [], missing: [], transient: [] };
    let next = 0;
    let inflight = 0;
    const settled = (): void => {
      inflight--;
      launch();
    };
    const launch = (): void => {
      while (inflight < PUBLISH_WINDOW && next < indexes.length) {
        const index = indexes[next++]!;
        const { data, headers } = messages[index]!.encoded;
        inflight++;
        session.js.publish(subject, data, { headers, timeout }).then(settled, (error: unknown) => {
          const kind = classify(error);
          if (kind === 'refused') round.refused.push({ index, error });
          else round[kind].push(index);
          settled();
        });
      }
      if (inflight === 0 && next >= indexes.length) resolve(round);
    };
    launch();
  });
}

function refusal(driverId: string, queueName: string, messages: readonly Outgoing[], refused: readonly { index: number; error: unknown }[]): PublishRejectedError {
  const sorted = [...refused].sort((a, b) => a.index - b.index);
  const shown = sorted.slice(0, 10).map((r) => `${messages[r.index]!.id} (${r.error instanceof Error ? r.error.message : String(r.error)})`);
  const more = sorted.length > shown.length ? ` and ${sorted.length - shown.length} more` : '';
  return new PublishRejectedError(`driver ${driverId}: server refused ${sorted.length} of ${messages.length} message(s) to ${queueName}: ${shown.join(', ')}${more}`, {
    cause: sorted[0]!.error,
  });
}
