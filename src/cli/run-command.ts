import { parseArgs } from 'node:util';
import { createRuntime, type RuntimeOptions } from '../runtime/create-runtime.ts';
import { streamLogger, LOG_LEVELS, type LogLevel } from '../util/logger.ts';
import type { CliCommand, CliIo } from './cli-io.ts';
import { reportError } from './report-error.ts';
import { runExtensions, type RunExtension } from './run-extensions.ts';

/**
 * `actorq run <files|dirs...>`: starts every `auto_start` entry and runs
 * until SIGINT or SIGTERM, then stops gracefully (a second signal exits at
 * once). Exit code 0 after a clean stop, 1 if start or stop failed.
 */
export const runCommand: CliCommand = {
  summary: 'start the configured drivers, queues and consumers until a signal',
  usage:
    'actorq run [--root <dir>] [--log-level debug|info|warn|error] [--inspect [--inspect-port 5678] [--inspect-payloads] [--inspect-origin <origin>]...] [--metrics host:port [--metrics-host <name>]...] <files|dirs...>',
  async run(args, io) {
    const extensions = runExtensions();
    const options = Object.fromEntries(extensions.flatMap((e) => Object.entries(e.options)));
    let parsed;
    try {
      parsed = parseArgs({ args: [...args], allowPositionals: true, options: { 'log-level': { type: 'string', default: 'info' }, root: { type: 'string' }, ...options } });
    } catch (error) {
      io.err(`${(error as Error).message}\nusage: ${this.usage}`);
      return 2;
    }
    const level = parsed.values['log-level'] as string;
    if (parsed.positionals.length === 0 || !LOG_LEVELS.includes(level as LogLevel)) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    const logger = streamLogger(level as LogLevel, (line) => io.err(line));
    const root = parsed.values['root'] as string | undefined;
    let runtimeOptions: RuntimeOptions = { files: parsed.positionals, logger, ...(root === undefined ? {} : { root }) };
    const states = new Map<RunExtension, unknown>();
    const configured: RunExtension[] = [];
    try {
      for (const ext of extensions) {
        runtimeOptions = ext.configure?.(runtimeOptions, parsed.values) ?? runtimeOptions;
        configured.push(ext);
      }
    } catch (error) {
      // A bad flag value: say which, with the usage, and release what the
      // extensions configured before it already opened.
      io.err(`${(error as Error).message}\nusage: ${this.usage}`);
      for (const ext of configured) await ext.stopped?.(undefined);
      return 2;
    }
    const runtime = createRuntime(runtimeOptions);
    // Listen before starting, so a signal during start-up still ends in a graceful stop.
    const signals = waitForSignal(io);
    try {
      await runtime.start();
      for (const ext of extensions) states.set(ext, await ext.started?.(runtime, parsed.values, io));
      io.err(`actorq: running ${runtime.registry!.entries.size} entries; Ctrl-C to stop`);
      await signals.signalled;
      await runtime.stop();
      io.err('actorq: stopped cleanly');
      return 0;
    } catch (error) {
      reportError(error, io);
      await runtime.stop().catch((e: unknown) => reportError(e, io));
      return 1;
    } finally {
      signals.dispose();
      // Every extension, started or not, closes what it opened (an inspector
      // whose server listens but whose start failed would keep the process alive).
      for (const ext of extensions) await ext.stopped?.(states.get(ext)).catch((e: unknown) => reportError(e, io));
    }
  },
};

/**
 * Resolves `signalled` on the first SIGINT/SIGTERM; a second one exits
 * immediately. `dispose()` removes the listeners (after an error path).
 */
function waitForSignal(io: CliIo): { signalled: Promise<void>; dispose(): void } {
  let dispose = () => {};
  const signalled = new Promise<void>((resolve) => {
    // An in-memory configuration holds no sockets or timers: without this
    // the event loop would empty and the process exit while "running".
    const keepAlive = setInterval(() => {}, 1 << 30);
    const onSignal = (signal: NodeJS.Signals) => {
      dispose();
      io.err(`actorq: ${signal} received, stopping gracefully (send again to exit now)`);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve();
    };
    dispose = () => {
      clearInterval(keepAlive);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { signalled, dispose: () => dispose() };
}
