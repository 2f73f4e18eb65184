import type { Runtime, RuntimeOptions } from '../runtime/create-runtime.ts';
import type { CliIo } from './cli-io.ts';
import { inspectExtension } from './inspect-extension.ts';
import { metricsExtension } from './metrics-extension.ts';

/**
 * A feature that hooks into `actorq run` with its own flags (the inspector,
 * the metrics endpoint), so `run-command.ts` stays one concept.
 */
export interface RunExtension {
  /** `parseArgs` option specs this extension adds. */
  readonly options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;
  /** Adjusts runtime options before creation (e.g. adds an inspector). */
  configure?(options: RuntimeOptions, values: Record<string, unknown>): RuntimeOptions;
  /** Called once the runtime started; returns state handed to `stopped`. */
  started?(runtime: Runtime, values: Record<string, unknown>, io: CliIo): Promise<unknown>;
  /** Called after the runtime stopped. */
  stopped?(state: unknown): Promise<void>;
}

/** The extensions `actorq run` loads. */
export function runExtensions(): readonly RunExtension[] {
  return [inspectExtension(), metricsExtension()];
}
