import { createActor, sendTo, setup, type AnyActorLogic, type AnyActorRef, type EventObject, type InspectionEvent } from 'xstate';
import { fromActorq, type ActorqOptions } from '../../src/embed/from-actorq.ts';
import type { ActorqInputEvent, ActorqOutputEvent } from '../../src/embed/actorq-events.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { kindsWithFaults } from '../../src/testing/fault-kinds.ts';
import type { FunctionValue } from '../../src/functions/actor-handler.ts';

let counter = 0;

/** A namespace no other test (or run) shares. */
export function uniqueNamespace(label: string): string {
  return `${label}${process.pid}x${Date.now().toString(36)}x${counter++}`;
}

/** Shape of the config {@link embedYaml} writes. */
export interface EmbedSpec {
  /** YAML fields of the driver after `name:` (see `RUNTIME_TARGETS`); default the fault-injecting memory driver. */
  readonly driverFields?: string;
  readonly queueName?: string;
  readonly concurrency?: number;
  readonly prefetch?: number;
  /** ms */
  readonly stopTimeout?: number;
  /** ms, the consumer's per-message timeout */
  readonly timeout?: number;
  readonly maxAttempts?: number;
  /** ms between consumer restarts. @default 20 */
  readonly restartDelay?: number;
  /** The queue's `driver_options` as flow YAML, e.g. `{ faulty: { max_length: 1 } }`. */
  readonly queueOptions?: string;
}

/**
 * One driver `<ns>:d`, a queue `<ns>:q` (dead-lettering to `<ns>:dlq` when
 * `maxAttempts` is set) and a consumer `<ns>:c` running handler `<ns>:h`.
 */
export function embedYaml(ns: string, spec: EmbedSpec = {}): string {
  const qname = spec.queueName ?? `${ns}_q`;
  const dead = spec.maxAttempts === undefined ? '' : `\n    dead_letter: { queue: ${ns}:dlq, max_attempts: ${spec.maxAttempts} }`;
  return `namespace: ${ns}
entries:
  - name: d
    ${spec.driverFields ?? 'kind: queue.driver.faulty'}
    lifecycle: { auto_start: true, stop_timeout: 5s }
  - name: q
    kind: queue.queue
    driver: ${ns}:d
    queue_name: ${qname}${dead}${spec.queueOptions ? `\n    driver_options: ${spec.queueOptions}` : ''}
  - { name: dlq, kind: queue.queue, driver: ${ns}:d, queue_name: ${qname}_dead }
  - name: c
    kind: queue.consumer
    queue: ${ns}:q
    func: ${ns}:h
    concurrency: ${spec.concurrency ?? 1}
    prefetch: ${spec.prefetch ?? 1}${spec.timeout === undefined ? '' : `\n    timeout: ${spec.timeout}ms`}
    lifecycle:
      auto_start: true
      stop_timeout: ${spec.stopTimeout ?? 2000}ms
      restart: { initial_delay: ${spec.restartDelay ?? 20}ms, max_delay: ${spec.restartDelay ?? 20}ms, jitter: 0 }
`;
}

/** fromActorq options for {@link embedYaml} with handler `<ns>:h`. */
export function actorqOptions(ns: string, handler: FunctionValue, spec: EmbedSpec = {}, extra: Partial<ActorqOptions> = {}): ActorqOptions {
  return {
    registry: parseConfigText(embedYaml(ns, spec), '<embed-test>', { kinds: kindsWithFaults, extraFunctionIds: [`${ns}:h`] }),
    kinds: kindsWithFaults,
    functions: { [`${ns}:h`]: handler },
    logger: silentLogger,
    metricsInterval: 0,
    ...extra,
  };
}

/** An app that invokes actorq while `serving`, records every `actorq.*` event it receives, and forwards `to-actorq` events. */
export interface RecorderApp {
  readonly app: ReturnType<typeof createActor<ReturnType<typeof recorderMachine>>>;
  /** Every `actorq.*` event the app received, in order. */
  readonly received: ActorqOutputEvent[];
  readonly inspected: InspectionEvent[];
  /** The invoked actorq actor (while serving). */
  queues(): AnyActorRef;
  /** Sends an event to the actorq actor from an app action. */
  toActorq(event: ActorqInputEvent): void;
}

function recorderMachine(logic: AnyActorLogic, received: EventObject[]) {
  return setup({
    types: { events: {} as EventObject },
    actors: { actorq: logic },
  }).createMachine({
    id: 'app',
    initial: 'serving',
    on: {
      '*': { actions: ({ event }) => void (event.type.startsWith('actorq.') && received.push(event)) },
    },
    states: {
      off: { on: { enter: 'serving' } },
      serving: {
        invoke: { id: 'queues', src: 'actorq' },
        on: {
          leave: 'off',
          reenter: { target: 'serving', reenter: true },
          'to-actorq': { actions: sendTo('queues', ({ event }) => (event as unknown as { event: EventObject }).event) },
        },
      },
    },
  });
}

/** Starts a {@link RecorderApp} around `logic`. */
export function recorderApp(logic: AnyActorLogic): RecorderApp {
  const received: ActorqOutputEvent[] = [];
  const inspected: InspectionEvent[] = [];
  const app = createActor(recorderMachine(logic, received as EventObject[]), { inspect: (e) => void inspected.push(e) }).start();
  return {
    app,
    received,
    inspected,
    queues: () => app.getSnapshot().children['queues'] as AnyActorRef,
    toActorq: (event) => app.send({ type: 'to-actorq', event } as EventObject),
  };
}

export { fromActorq };
