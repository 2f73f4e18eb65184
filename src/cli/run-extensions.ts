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
  readonly options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean; multiple?: boolean }>;
  /** Adjusts runtime options before creation (e.g. adds an inspector); throws on a bad flag value. */
  configure?(options: RuntimeOptions, values: Record<string, unknown>): RuntimeOptions;
  /**
   * Called once the runtime exists, before it starts: opens what the
   * extension serves (a port in use fails the command before anything
   * connects). Returns state handed to `stopped`.
   */
  listen?(runtime: Runtime, values: Record<string, unknown>, io: CliIo): Promise<unknown>;
  /** Called after the runtime stopped (or failed to start); must release every handle so the process can exit. */
  stopped?(state: unknown): Promise<void>;
}

/** The extensions `actorq run` loads. */
export function runExtensions(): readonly RunExtension[] {
  return [inspectExtension(), metricsExtension()];
}
