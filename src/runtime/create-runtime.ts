import { createActor, fromPromise, type Actor, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { runtimeMachine, type RuntimeChild, type RuntimeEmitted, type RuntimeEvent } from '../../machines/runtime.machine.ts';
import { loadConfig } from '../config/load-config.ts';
import { loadFunctions } from '../functions/load-functions.ts';
import { checkFunctions } from '../functions/check-functions.ts';
import { isConsumerEntry, type Registry } from '../config/registry.ts';
import type { QueueInfo } from '../drivers/driver.ts';
import type { LoadedFunction } from '../kinds/kind-descriptors.ts';
import { handlersOf, type FunctionValue, type HandlerSet } from '../functions/actor-handler.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import type { KindCatalog } from '../kinds/kind-descriptors.ts';
import { ActorqError } from '../errors/actorq-error.ts';
import { NotFoundError } from '../errors/not-found-error.ts';
import { StartError, StopTimeoutError } from '../errors/lifecycle-errors.ts';
import { streamLogger, type Logger } from '../util/logger.ts';
import { sanitizingObserver } from '../inspect/sanitize-inspection.ts';
import { provideEntryLogic } from './entry-logic.ts';
import { useLoadedFunctions, wireRegistry, type RuntimeWiring } from './runtime-wiring.ts';
import { runtimeChildren } from './runtime-children.ts';
import { awaitEntry } from './await-entry.ts';
import { watchLifecycles } from './watch-lifecycles.ts';
import type { RuntimeStatusEvent } from './runtime-events.ts';
import { Publisher, type PublishCallOptions } from './publisher.ts';
import type { ConsumerCounters } from '../consumer/consumer-counters.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { collectRuntimeMetrics, metricsEvery } from './collect-metrics.ts';
import { RuntimeSecurity, type SecurityOptions } from '../security/runtime-security.ts';

/**
 * Options of {@link createRuntime}.
 *
 * @example
 * ```ts
 * const runtime = createRuntime({ files: ['config/'], functions: { 'app:handler': async (body) => {} } })
 * ```
 */
export interface RuntimeOptions {
  /** YAML files, or directories (the registry files directly inside; subdirectories are not read). */
  readonly files?: readonly string[];
  /** An already loaded registry (e.g. from `parseConfigText`), used instead of `files`. */
  readonly registry?: Registry;
  /**
   * Directory every `file://` source and prelude must stay inside.
   * @default the directory of the registry file that names it
   */
  readonly root?: string;
  /**
   * Handlers supplied in code, by registry ID; a consumer's `func` may name
   * them. A value is a plain handler or XState actor logic, run as one actor
   * per message (see `actorHandler` and `docs/embedding.md`).
   */
  readonly functions?: Readonly<Record<string, FunctionValue>>;
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
  /**
   * Security settings. `strict_mode` refuses every check made without an
   * actor or without policies (see `docs/security.md`).
   * @default { strict_mode: false }
   */
  readonly security?: SecurityOptions;
  /**
   * Makes the runtime's root actor a child of this actor, so every actor of
   * the runtime joins that actor's system (one tree for an inspector attached
   * to it; `inspect` is then ignored). Used by `fromActorq`.
   */
  readonly parent?: AnyActorRef;
  /**
   * `false` makes a publisher-only runtime, for a process that publishes to
   * queues other processes consume: `start()` brings up what it would
   * without the consumers (`auto_start` drivers, and the queues of every
   * driver that runs, including the driver of an `auto_start` consumer's
   * queue), and no consumer is created or started (`startEntry` of one is
   * refused). No function is loaded or checked, so handler files need not
   * be there. `publish`, `publishBatch`, `info` and `metrics` work as usual.
   * @default true
   */
  readonly consumers?: boolean;
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
   * Stops everything that runs, however it was started (`start()` or
   * `startEntry()`), gracefully: consumers first (stop receiving, hand back
   * buffered messages, wait for handlers up to `stop_timeout`), then queues,
   * then drivers; a start under way is cut short (its caller hears so).
   * Then frees what functions hold (Lua isolates), so a process exits by
   * itself; a later `start()` loads them again. Rejects with
   * `StopTimeoutError` naming consumers whose handlers did not finish (their
   * messages were released back to the queue). Idempotent; quick when idle.
   */
  stop(): Promise<void>;
  /** Starts one entry and its dependencies. Rejects with `StartError`. */
  startEntry(id: string): Promise<void>;
  /** Stops one entry and what depends on it. Rejects with `StopTimeoutError`. */
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
  /** Function entries loaded for the current run; undefined until a start loads them. */
  #functions: Map<string, LoadedFunction> | undefined;
  /** `options.functions` as plain handlers (actor logic wrapped), made at the first load. */
  #handlers: HandlerSet | undefined;
  #loadError: unknown;
  /** Policies, consumer guards and host-code guards of the loaded registry. */
  #security: RuntimeSecurity | undefined;
  #prepareError: unknown;
  readonly #abandoned = new Map<string, number>();
  readonly #statusSubscriptions: Subscription[] = [];
  /** Callers waiting for the machine's answer, by request id. */
  readonly #replies = new Map<string, (reply: RuntimeEmitted) => void>();
  #nextRequest = 0;

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
      actions: {
        // Spawned children exist only after the action that spawns them has
        // run; the drivers' connection actors are placed under them here.
        childrenSpawned: ({ system }) => {
          for (const { entry, driver } of this.#wiring?.drivers.values() ?? []) {
            const actor = system.get(entry.id) as AnyActorRef | undefined;
            if (actor) driver.adopt?.(actor);
          }
        },
      },
      actors: {
        ...entryLogic,
        awaitEntry,
        loadRegistry: fromPromise<RuntimeChild[], void>(() => this.#loadAndWire()),
        prepareStart: fromPromise<void, void>(({ signal }) => this.#prepareStart(signal)),
      },
    });
    const inspect = options.inspect ? sanitizingObserver(options.inspect, { payloads: options.inspectPayloads }) : undefined;
    this.root = createActor(logic, { systemId: 'actorq', inspect, ...(options.parent ? { parent: options.parent, id: 'actorq' } : {}) });
    this.root.on('runtime.settled', (reply) => {
      const answer = this.#replies.get(reply.requestId);
      this.#replies.delete(reply.requestId);
      answer?.(reply);
    });
    watchLifecycles(this.root, this.#events);
    // Handler actors whose messages a consumer's stop released end with it.
    this.#events.subscribe((e) => {
      if (e.type === 'lifecycle' && e.kind === 'consumer' && e.state === 'stopped') this.#handlers?.consumerStopped(e.id);
    });
    this.root.start();
  }

  get system() {
    return this.root.system;
  }

  get registry(): Registry | undefined {
    return this.#wiring?.registry;
  }

  async load(): Promise<void> {
    const reply = await this.#request({ type: 'runtime.load' });
    if (!this.#wiring) throw this.#loadError ?? new ActorqError('LIFECYCLE', `configuration failed to load: ${reply.error ?? 'unknown error'}`);
  }

  async start(): Promise<void> {
    await this.load();
    this.#prepareError = undefined;
    this.#throwIfNotStarted(await this.#request({ type: 'runtime.start' }));
  }

  async stop(): Promise<void> {
    this.#abandoned.clear();
    const reply = await this.#request({ type: 'runtime.stop' });
    await this.#closeFunctions();
    this.#throwIfTimedOut(reply);
  }

  async startEntry(id: string): Promise<void> {
    await this.load();
    const entry = this.#wiringOrThrow().registry.entries.get(id);
    if (!entry) throw new NotFoundError('entry', id);
    if (this.#options.consumers === false && isConsumerEntry(entry)) throw new ActorqError('LIFECYCLE', `${id} is a consumer, and this runtime was created with consumers: false (publisher-only)`);
    this.#prepareError = undefined;
    this.#throwIfNotStarted(await this.#request({ type: 'runtime.start', ids: [id] }));
  }

  async stopEntry(id: string): Promise<void> {
    if (!this.#wiringOrThrow().registry.entries.has(id)) throw new NotFoundError('entry', id);
    this.#abandoned.clear();
    this.#throwIfTimedOut(await this.#request({ type: 'runtime.stop', ids: [id] }));
  }

  publish(queueId: string, body: unknown, options?: PublishCallOptions): Promise<void> {
    const denied = this.#hostDenial(queueId, options);
    if (denied !== undefined) return Promise.reject(denied);
    return this.#publisher.publish(queueId, body, options);
  }

  publishBatch(queueId: string, bodies: readonly unknown[], options?: PublishCallOptions): Promise<void> {
    const denied = this.#hostDenial(queueId, options);
    if (denied !== undefined) return Promise.reject(denied);
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

  /**
   * The refusal of a publish by host code, checked as a handler's would be
   * when `options.actor` is given (or always, in strict mode); undefined
   * when allowed or trusted. Before load the publisher answers (no queue).
   */
  #hostDenial(queueId: string, options: PublishCallOptions | undefined): unknown {
    const security = this.#security;
    if (security === undefined || (options?.actor === undefined && !security.strict)) return undefined;
    try {
      return security.forHost(options)?.checkPublish(queueId);
    } catch (error) {
      return error;
    }
  }

  /**
   * Sends a request to the runtime machine and resolves with its answer.
   * The machine answers every request exactly once (its waits are all
   * bounded), so this needs no timer of its own.
   */
  #request(event: RuntimeEvent): Promise<RuntimeEmitted> {
    const requestId = String(++this.#nextRequest);
    return new Promise((resolve) => {
      this.#replies.set(requestId, resolve);
      this.root.send({ ...event, requestId } as RuntimeEvent);
    });
  }

  #throwIfNotStarted(reply: RuntimeEmitted): void {
    if (reply.ok) return;
    if (this.#prepareError) throw this.#prepareError;
    if (reply.failures) throw new StartError(new Map(Object.entries(reply.failures).map(([id, why]) => [id, new Error(why)])));
    throw new ActorqError('LIFECYCLE', reply.error ?? 'start failed');
  }

  #throwIfTimedOut(reply: RuntimeEmitted): void {
    const timedOut = reply.timedOut ?? [];
    if (reply.error) throw new ActorqError('LIFECYCLE', reply.error);
    if (timedOut.length === 0) return;
    const pending = new Map(timedOut.map((id) => [id, this.#abandoned.get(id) ?? 0]));
    for (const [id, released] of pending) this.#events.next({ type: 'stop.timeout', id, released });
    throw new StopTimeoutError(pending);
  }

  #wiringOrThrow(): RuntimeWiring {
    if (!this.#wiring) throw new ActorqError('LIFECYCLE', 'runtime not loaded: call load() or start() first');
    return this.#wiring;
  }

  async #loadAndWire(): Promise<RuntimeChild[]> {
    try {
      this.#handlers ??= handlersOf(this.#options.functions ?? {});
      const programmatic = this.#handlers.handlers;
      const registry =
        this.#options.registry ?? (await loadConfig(this.#options.files ?? [], {
          kinds: this.#kinds,
          extraFunctionIds: Object.keys(programmatic),
          ...(this.#options.root === undefined ? {} : { root: this.#options.root }),
          logger: this.#logger,
        }));
      // Loading is not running: function files are checked here, their code runs at start.
      if (this.#options.consumers !== false) await checkFunctions(registry, { kinds: this.#kinds, logger: this.#logger });
      const security = new RuntimeSecurity(registry, this.#options.security, this.#logger);
      this.#wiring = await wireRegistry(registry, {
        kinds: this.#kinds,
        logger: this.#logger,
        programmatic,
        // Handlers' publishes are checked against their consumer's actor (in the delivery context), not as host code.
        publish: (queueId, body, opts) => this.#publisher.publish(queueId, body, opts),
        info: (queueId) => this.info(queueId),
        security: (consumer) => security.forConsumer(consumer),
        onConsumerFailure: (id, error) => {
          this.#logger.error('consumer subscription failed', { consumer: id, error });
          this.#lookup(id)?.send({ type: 'consumer.fail', error });
        },
      });
      this.#security = security;
      // Publisher-only: the consumers' pools are never used; nothing lists or starts them.
      if (this.#options.consumers === false) this.#wiring = { ...this.#wiring, consumers: new Map() };
      for (const { entry, driver } of this.#wiring.drivers.values()) {
        this.#statusSubscriptions.push(
          driver.status$.subscribe((status) => {
            const type = status.type === 'connected' ? 'driver.connected' : status.type === 'reconnecting' ? 'driver.reconnecting' : 'driver.failed';
            this.#lookup(entry.id)?.send({ ...status, type } as never);
          }),
        );
      }
      const children = runtimeChildren(registry);
      return this.#options.consumers === false ? children.filter((c) => c.kind !== 'consumer') : children;
    } catch (error) {
      this.#loadError = error;
      throw error;
    }
  }

  /**
   * The first step of every start: function entries run their code now
   * (imports, Lua isolates), not at load, and are freed again by `stop()`.
   */
  async #prepareStart(signal: AbortSignal): Promise<void> {
    // A publisher-only runtime runs no handler: nothing to load.
    if (this.#options.consumers === false) return;
    const wiring = this.#wiringOrThrow();
    try {
      this.#functions ??= await loadFunctions(wiring.registry, { kinds: this.#kinds, logger: this.#logger, signal });
      useLoadedFunctions(wiring, this.#functions, this.#handlers?.handlers ?? {});
    } catch (error) {
      this.#prepareError = error;
      throw error;
    }
  }

  /** Frees what loaded functions hold once nothing runs, so the process can exit. */
  async #closeFunctions(): Promise<void> {
    const functions = this.#functions;
    if (!functions || this.root.getSnapshot().matches('running')) return;
    this.#functions = undefined;
    await Promise.allSettled([...functions.values()].map((f) => f.close?.()));
  }
}
