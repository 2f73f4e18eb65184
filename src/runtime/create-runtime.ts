import { createActor, fromPromise, waitFor, type Actor, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import { Subject, type Observable } from 'rxjs';
import { runtimeMachine, type RuntimeChild } from '../../machines/runtime.machine.ts';
import { loadConfig } from '../config/load-config.ts';
import { startOrder } from '../config/dependency-graph.ts';
import { loadFunctions } from '../functions/load-functions.ts';
import { isConsumerEntry, isDriverEntry, isQueueEntry, type Registry } from '../config/registry.ts';
import type { ConsumerEntry, DriverEntry } from '../config/entry-types.ts';
import type { ServiceInput } from '../../machines/lifecycle-types.ts';
import type { QueueInfo } from '../drivers/driver.ts';
import type { Handler } from '../functions/handler.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import { ActorqError } from '../errors/actorq-error.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { StopTimeoutError } from '../errors/lifecycle-errors.ts';
import { streamLogger, type Logger } from '../util/logger.ts';
import { sanitizingObserver } from '../inspect/sanitize-inspection.ts';
import { provideEntryLogic } from './entry-logic.ts';
import { wireRegistry, type RuntimeWiring } from './runtime-wiring.ts';
import { startEntries, stopEntries } from './start-stop.ts';
import { watchLifecycles } from './watch-lifecycles.ts';
import type { RuntimeStatusEvent } from './runtime-events.ts';
import { Publisher, type PublishCallOptions } from './publisher.ts';
import type { ConsumerCounters } from '../consumer/consumer-counters.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { collectRuntimeMetrics, metricsEvery } from './collect-metrics.ts';

/**
 * Options of {@link createRuntime}.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ files: ['config/'], functions: { 'app:handler': async (body) => {} } })
 * ```
 */
export interface RuntimeOptions {
  /** YAML files or directories (every `*.yaml`/`*.yml` inside). */
  readonly files?: readonly string[];
  /** An already loaded registry (e.g. from `parseConfigText`), used instead of `files`. */
  readonly registry?: Registry;
  /** Handlers supplied in code, by registry ID; a consumer's `func` may name them. */
  readonly functions?: Readonly<Record<string, Handler>>;
  /** Where actorq logs. @default warnings and errors to stderr */
  readonly logger?: Logger;
  /** Kinds understood. @default builtinKinds */
  readonly kinds?: KindCatalog;
  /**
   * An XState inspection observer (e.g. from `@statelyai/inspect`), attached
   * to the whole actor system. What it sees is sanitized: message bodies and
   * headers are replaced by `[redacted]` unless `inspectPayloads` is true.
   */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Let message content reach the `inspect` observer unredacted. @default false */
  readonly inspectPayloads?: boolean;
}

/** Live figures of one consumer. */
export interface ConsumerStats extends Readonly<Omit<ConsumerCounters, 'snapshot'>> {
  /** Messages waiting in the prefetch buffer. */
  readonly buffered: number;
  /** Handlers running now. */
  readonly running: number;
}

/**
 * A running actorq system. See {@link createRuntime}.
 */
export interface Runtime {
  /** Reads and validates the configuration and spawns the actors, without starting them. Idempotent. */
  load(): Promise<void>;
  /** Loads if needed, then starts every `auto_start` entry and what it depends on. Rejects with `StartError`. */
  start(): Promise<void>;
  /**
   * Stops everything gracefully: consumers first (stop receiving, hand back
   * buffered messages, wait for handlers up to `stop_timeout`), then queues,
   * then drivers. Rejects with `StopTimeoutError` naming consumers whose
   * handlers did not finish (their messages were released back to the queue).
   * Idempotent; quick when idle.
   */
  stop(): Promise<void>;
  /** Starts one entry and its dependencies. */
  startEntry(id: string): Promise<void>;
  /** Stops one entry and what depends on it. */
  stopEntry(id: string): Promise<void>;
  /** Publishes one message. Resolves when the driver accepted it. */
  publish(queueId: string, body: unknown, options?: PublishCallOptions): Promise<void>;
  /** Publishes many messages in one driver call: much cheaper than one `publish` each. */
  publishBatch(queueId: string, bodies: readonly unknown[], options?: PublishCallOptions): Promise<void>;
  /** A queue's figures from its driver. */
  info(queueId: string): Promise<QueueInfo>;
  /** A consumer's counters. */
  consumerStats(consumerId: string): ConsumerStats;
  /** Every entry's lifecycle state and the figures per queue and consumer (see `docs/observability.md`). */
  metrics(): Promise<RuntimeMetrics>;
  /** {@link Runtime.metrics} every `periodMs` (default 1000), as an RxJS observable. */
  metrics$(periodMs?: number): Observable<RuntimeMetrics>;
  /** The validated registry (after `load`). */
  readonly registry: Registry | undefined;
  /** The XState actor system: `system.get('app.queue:task_consumer')`. */
  readonly system: Actor<typeof runtimeMachine>['system'];
  /** The root actor (`systemId` `actorq`). */
  readonly root: Actor<typeof runtimeMachine>;
  /** Lifecycle and status events of every actor. */
  readonly events$: Observable<RuntimeStatusEvent>;
}

/**
 * Creates an actorq runtime. Nothing is read or connected until `load()` or `start()`.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ files: ['specs/seed'] })
 * await runtime.start()
 * await runtime.publish('app.queue:tasks', { id: 'task-1', action: 'process' })
 * await runtime.stop()
 * ```
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new ActorqRuntime(options);
}

class ActorqRuntime implements Runtime {
  readonly root: Actor<typeof runtimeMachine>;
  readonly events$: Observable<RuntimeStatusEvent>;
  readonly #events = new Subject<RuntimeStatusEvent>();
  readonly #options: RuntimeOptions;
  readonly #logger: Logger;
  readonly #kinds: KindCatalog;
  readonly #publisher: Publisher;
  #wiring: RuntimeWiring | undefined;
  #startError: unknown;
  #stopError: unknown;
  readonly #abandoned = new Map<string, number>();

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.#logger = options.logger ?? streamLogger('warn');
    this.#kinds = options.kinds ?? builtinKinds;
    this.#publisher = new Publisher(() => this.#wiring?.queues);
    this.events$ = this.#events.asObservable();
    const entryLogic = provideEntryLogic({
      wiring: () => this.#wiringOrThrow(),
      onAbandoned: (id, released) => this.#abandoned.set(id, released),
    });
    const logic = runtimeMachine.provide({
      actors: {
        ...entryLogic,
        loadRegistry: fromPromise<RuntimeChild[]>(() => this.#loadAndWire()),
        startEntries: fromPromise<void>(async ({ signal }) => {
          const registry = this.#wiringOrThrow().registry;
          const autoStart = autoStartIds(registry);
          try {
            await startEntries(registry, autoStart, this.#lookup, signal);
          } catch (error) {
            this.#startError = error;
            throw error;
          }
        }),
        stopEntries: fromPromise<void>(() => this.#stopAll()),
      },
    });
    const inspect = options.inspect ? sanitizingObserver(options.inspect, { payloads: options.inspectPayloads }) : undefined;
    this.root = createActor(logic, { systemId: 'actorq', inspect });
    watchLifecycles(this.root, this.#events);
    this.root.start();
  }

  get system() {
    return this.root.system;
  }

  get registry(): Registry | undefined {
    return this.#wiring?.registry;
  }

  async load(): Promise<void> {
    const snapshot = this.root.getSnapshot();
    if (snapshot.matches('idle')) this.root.send({ type: 'runtime.load' });
    const settled = await waitFor(this.root, (s) => !s.matches('idle') && !s.matches('loading'), { timeout: Infinity });
    if (!this.#wiring) throw this.#startError ?? new ActorqError('LIFECYCLE', `configuration failed to load: ${settled.context.error}`);
  }

  async start(): Promise<void> {
    await this.load();
    if (this.root.getSnapshot().matches('running')) return;
    this.#startError = undefined;
    this.root.send({ type: 'runtime.start' });
    const settled = await waitFor(this.root, (s) => s.matches('running') || s.matches('failed') || s.matches('stopped'), { timeout: Infinity });
    if (!settled.matches('running')) throw this.#startError ?? new ActorqError('START_FAILED', settled.context.error ?? 'start failed');
  }

  async stop(): Promise<void> {
    const snapshot = this.root.getSnapshot();
    if (snapshot.matches('idle') || snapshot.matches('stopped')) return;
    if (snapshot.matches('loading')) await waitFor(this.root, (s) => !s.matches('loading'), { timeout: Infinity });
    this.#stopError = undefined;
    this.root.send({ type: 'runtime.stop' });
    await waitFor(this.root, (s) => s.matches('stopped') || s.matches('idle'), { timeout: Infinity });
    if (this.#stopError) throw this.#stopError;
  }

  async startEntry(id: string): Promise<void> {
    await this.load();
    const registry = this.#wiringOrThrow().registry;
    if (!registry.entries.has(id)) throw new NotFoundError('entry', id);
    await startEntries(registry, [id], this.#lookup);
  }

  async stopEntry(id: string): Promise<void> {
    const registry = this.#wiringOrThrow().registry;
    if (!registry.entries.has(id)) throw new NotFoundError('entry', id);
    const timedOut = await stopEntries(registry, this.#lookup, [id]);
    this.#throwIfTimedOut(timedOut);
  }

  publish(queueId: string, body: unknown, options?: PublishCallOptions): Promise<void> {
    return this.#publisher.publish(queueId, body, options);
  }

  publishBatch(queueId: string, bodies: readonly unknown[], options?: PublishCallOptions): Promise<void> {
    return this.#publisher.publishBatch(queueId, bodies, options);
  }

  info(queueId: string): Promise<QueueInfo> {
    const binding = this.#wiring?.queues.get(queueId);
    if (!binding) return Promise.reject(new NotFoundError('queue', queueId));
    return binding.driver.info(binding.declaration.name);
  }

  consumerStats(consumerId: string): ConsumerStats {
    const consumer = this.#wiring?.consumers.get(consumerId);
    if (!consumer) throw new NotFoundError('consumer', consumerId);
    const { pool } = consumer;
    return { ...pool.counters.snapshot(), buffered: pool.buffered, running: pool.running };
  }

  metrics(): Promise<RuntimeMetrics> {
    return collectRuntimeMetrics({ wiring: this.#wiring, published: this.#publisher.published, root: this.root, lookup: this.#lookup });
  }

  metrics$(periodMs = 1000): Observable<RuntimeMetrics> {
    return metricsEvery(() => this.metrics(), periodMs);
  }

  readonly #lookup = (id: string): AnyActorRef | undefined => this.root.system.get(id);

  #wiringOrThrow(): RuntimeWiring {
    if (!this.#wiring) throw new ActorqError('LIFECYCLE', 'runtime not loaded: call load() or start() first');
    return this.#wiring;
  }

  async #loadAndWire(): Promise<RuntimeChild[]> {
    try {
      const programmatic = this.#options.functions ?? {};
      const registry =
        this.#options.registry ?? (await loadConfig(this.#options.files ?? [], { kinds: this.#kinds, extraFunctionIds: Object.keys(programmatic) }));
      const functions = await loadFunctions(registry, { kinds: this.#kinds, logger: this.#logger });
      this.#wiring = await wireRegistry(registry, {
        kinds: this.#kinds,
        logger: this.#logger,
        functions,
        programmatic,
        publish: (queueId, body, opts) => this.publish(queueId, body, opts),
        info: (queueId) => this.info(queueId),
        onConsumerFailure: (id, error) => {
          this.#logger.error('consumer subscription failed', { consumer: id, error });
          this.#lookup(id)?.send({ type: 'consumer.fail', error });
        },
      });
      for (const { entry, driver } of this.#wiring.drivers.values()) {
        driver.status$.subscribe((status) => {
          const type = status.type === 'connected' ? 'driver.connected' : status.type === 'reconnecting' ? 'driver.reconnecting' : 'driver.failed';
          this.#lookup(entry.id)?.send({ ...status, type } as never);
        });
      }
      return childrenOf(registry);
    } catch (error) {
      this.#startError = error;
      throw error;
    }
  }

  async #stopAll(): Promise<void> {
    const wiring = this.#wiringOrThrow();
    this.#abandoned.clear();
    const timedOut = await stopEntries(wiring.registry, this.#lookup);
    try {
      this.#throwIfTimedOut(timedOut);
    } catch (error) {
      this.#stopError = error;
      throw error;
    }
  }

  #throwIfTimedOut(timedOut: readonly string[]): void {
    if (timedOut.length === 0) return;
    const pending = new Map(timedOut.map((id) => [id, this.#abandoned.get(id) ?? 0]));
    for (const [id, released] of pending) this.#events.next({ type: 'stop.timeout', id, released });
    throw new StopTimeoutError(pending);
  }
}

/**
 * What `start()` starts: every `auto_start` entry, and every queue on a
 * driver that will run. A queue is a declaration its driver holds, so it is
 * declared (and can take publishes) as soon as its driver is up, whether or
 * not a consumer reads it yet.
 */
function autoStartIds(registry: Registry): string[] {
  const entries = [...registry.entries.values()];
  const ids = entries.filter((e) => 'lifecycle' in e && e.lifecycle.auto_start).map((e) => e.id);
  const starting = new Set(startOrder(registry, ids));
  for (const e of entries) if (isQueueEntry(e) && starting.has(e.driver)) ids.push(e.id);
  return ids;
}

/** The actors to spawn for a registry: drivers, queues and consumers, in start order of the file. */
function childrenOf(registry: Registry): RuntimeChild[] {
  const children: RuntimeChild[] = [];
  const service = (e: DriverEntry | ConsumerEntry): ServiceInput => ({
    id: e.id,
    start_timeout: e.lifecycle.start_timeout,
    stop_timeout: e.lifecycle.stop_timeout,
    restart: { ...e.lifecycle.restart },
  });
  for (const e of registry.entries.values()) {
    if (isDriverEntry(e)) children.push({ kind: 'driver', id: e.id, input: service(e) });
    else if (isQueueEntry(e)) children.push({ kind: 'queue', id: e.id, input: { id: e.id, driver: e.driver } });
    else if (isConsumerEntry(e)) children.push({ kind: 'consumer', id: e.id, input: { ...service(e), concurrency: e.concurrency } });
  }
  return children;
}
