import { Observable, Subject } from 'rxjs';
import { z } from 'zod';
import type { Consumption, ConsumeOptions, Driver, DriverStatusEvent, PublishOptions, QueueDeclaration, QueueInfo } from '../../src/drivers/driver.ts';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import { memoryQueueOptionsSchema } from '../../src/drivers/memory/memory-kind.ts';
import type { Message } from '../../src/message/message.ts';
import type { DriverKind, KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';

/**
 * What a {@link FaultDriver} does wrong, changeable at any time by the test.
 * Delays are ms; `fail*` make the next calls reject.
 */
export interface Faults {
  startDelay: number;
  failStart: boolean;
  declareDelay: number;
  failDeclare: boolean;
  stopDelay: number;
  /** consume() throws (the consumer's start fails). */
  failConsume: boolean;
}

const NO_FAULTS: Faults = { startDelay: 0, failStart: false, declareDelay: 0, failDeclare: false, stopDelay: 0, failConsume: false };

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * A memory driver that is slow, fails or breaks on command: the test
 * driver behind the lifecycle interleaving tests. Messages live in a real
 * {@link MemoryDriver}, so counts after any path are exact; the faults sit
 * in front of it.
 */
export class FaultDriver implements Driver {
  readonly id: string;
  readonly faults: Faults = { ...NO_FAULTS };
  readonly status$ = new Subject<DriverStatusEvent>();
  readonly inner: MemoryDriver;
  /** Live subscriptions, so a test can break them. */
  readonly #consumptions = new Set<{ break(error: unknown): void }>();
  /** Calls under way, by kind, for "stop while X" interleavings. */
  readonly pending = { start: 0, declare: 0, stop: 0 };

  constructor(id: string) {
    this.id = id;
    this.inner = new MemoryDriver(id);
  }

  async start(): Promise<void> {
    this.pending.start++;
    try {
      await sleep(this.faults.startDelay);
      if (this.faults.failStart) throw new Error(`fault: start of ${this.id} fails`);
      await this.inner.start();
    } finally {
      this.pending.start--;
    }
  }

  async stop(): Promise<void> {
    this.pending.stop++;
    try {
      await sleep(this.faults.stopDelay);
      await this.inner.stop();
    } finally {
      this.pending.stop--;
    }
  }

  async declare(queue: QueueDeclaration): Promise<void> {
    this.pending.declare++;
    try {
      await sleep(this.faults.declareDelay);
      if (this.faults.failDeclare) throw new Error(`fault: declare of ${queue.name} fails`);
      await this.inner.declare(queue);
    } finally {
      this.pending.declare--;
    }
  }

  publish(queueName: string, messages: readonly Message[], options?: PublishOptions): Promise<void> {
    return this.inner.publish(queueName, messages, options);
  }

  consume(queueName: string, options: ConsumeOptions): Consumption {
    if (this.faults.failConsume) throw new Error(`fault: consume of ${queueName} fails`);
    const inner = this.inner.consume(queueName, options);
    const broken = new Subject<never>();
    const entry = { break: (error: unknown) => broken.error(error) };
    this.#consumptions.add(entry);
    const deliveries = new Observable<readonly Message[]>((subscriber) => {
      const a = inner.deliveries.subscribe(subscriber);
      const b = broken.subscribe({ error: (e) => subscriber.error(e) });
      return () => {
        a.unsubscribe();
        b.unsubscribe();
        this.#consumptions.delete(entry);
      };
    });
    return {
      deliveries,
      request: (credit) => inner.request(credit),
      ack: (d) => inner.ack(d),
      requeue: (d, h) => inner.requeue(d, h),
      deadLetter: (d, q, h) => inner.deadLetter(d, q, h),
      release: (ds) => inner.release(ds),
      cancel: () => inner.cancel(),
    };
  }

  info(queueName: string): Promise<QueueInfo> {
    return this.inner.info(queueName);
  }

  /** Ends every live subscription with an error, as a backend that drops its consumers. */
  breakSubscriptions(error: unknown = new Error('fault: subscription broke')): void {
    for (const c of [...this.#consumptions]) c.break(error);
  }
}

/** Every FaultDriver made, by driver entry ID: tests reach theirs here. */
export const faultDrivers = new Map<string, FaultDriver>();

/** `queue.driver.faulty`: a {@link FaultDriver} per entry; queues take `driver_options.faulty` like memory's. */
export const faultDriverKind: DriverKind = {
  kind: 'queue.driver.faulty',
  optionsKey: 'faulty',
  schema: z.object({}).strict(),
  queueOptionsSchema: memoryQueueOptionsSchema,
  async create(entry) {
    const driver = new FaultDriver(entry.id);
    faultDrivers.set(entry.id, driver);
    return driver;
  },
};

/** The built-in kinds plus `queue.driver.faulty`. */
export const kindsWithFaults: KindCatalog = {
  drivers: new Map([...builtinKinds.drivers, [faultDriverKind.kind, faultDriverKind]]),
  functions: builtinKinds.functions,
};
