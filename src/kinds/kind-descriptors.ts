import type { z } from 'zod';
import type { Driver } from '../drivers/driver.ts';
import type { DriverEntry, FunctionEntry } from '../config/entry-types.ts';
import type { Handler } from '../functions/handler.ts';
import type { Logger } from '../util/logger.ts';

/**
 * Describes one `queue.driver.*` kind: how to validate its entries and
 * queue options, and how to build a driver. `create` is async so that a
 * backend's client library is imported only when a config uses it.
 */
export interface DriverKind {
  /** Entry kind, e.g. `queue.driver.memory`. */
  readonly kind: string;
  /** Key under a queue's `driver_options` (e.g. `memory`, `amqp`). */
  readonly optionsKey: string;
  /**
   * Schema for the entry's own fields (everything but `name`, `kind`,
   * `meta`, `lifecycle`). Should be strict so typos are reported.
   */
  readonly schema: z.ZodType<Record<string, unknown>>;
  /** Schema for `driver_options.<optionsKey>` on queues using this driver. */
  readonly queueOptionsSchema: z.ZodType<Record<string, unknown>>;
  /** Schema for `driver_options.<optionsKey>` on consumers of its queues; absent: the section is passed on as written. */
  readonly consumerOptionsSchema?: z.ZodType<Record<string, unknown>>;
  /** Whether its driver honours a consumer's `auto_ack` (`ConsumeOptions.autoAck`); configuration refuses `auto_ack: true` otherwise. */
  readonly autoAck?: boolean;
  create(entry: DriverEntry, env: KindEnv): Promise<Driver>;
}

/** A function loaded from its entry, ready to be called by consumers. */
export interface LoadedFunction {
  readonly handler: Handler;
  /** Frees what the function holds (interpreter states, files). */
  close?(): Promise<void>;
}

/**
 * Describes one `function.*` kind, in two steps:
 *
 * - `check` finds what it can WITHOUT running user code (the file exists,
 *   is confined and parses or compiles, the export is there when the text
 *   shows it). `validate` and configuration loading use only this step, so
 *   a handler's top-level side effects never happen there and a module
 *   that never finishes loading cannot hang them.
 * - `load` runs the code (a module's top level, a script's chunk) and
 *   returns the handler; the runtime does this when it starts, under a
 *   time limit (see `loadFunctions`).
 *
 * Both throw `ConfigError` naming the entry and field for problems in the
 * configuration or the files it names.
 */
export interface FunctionKind {
  /** Entry kind, e.g. `function.js`. */
  readonly kind: string;
  /** Schema for the entry's own fields (`source`, `method`, ...). */
  readonly schema: z.ZodType<Record<string, unknown>>;
  /** Checks the entry and its files without executing any of their code. */
  check(entry: FunctionEntry, env: KindEnv): Promise<void>;
  /** Runs the function's code and returns its handler. */
  load(entry: FunctionEntry, env: KindEnv): Promise<LoadedFunction>;
}

/** What a kind may use while building. */
export interface KindEnv {
  readonly logger: Logger;
}

/** The set of kinds a runtime understands. */
export interface KindCatalog {
  readonly drivers: ReadonlyMap<string, DriverKind>;
  readonly functions: ReadonlyMap<string, FunctionKind>;
}
