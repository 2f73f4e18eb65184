import { createRuntime, type RuntimeOptions } from '../runtime/create-runtime.ts';
import { streamLogger, LOG_LEVELS, type LogLevel } from '../util/logger.ts';
import { EXIT, type CliCommand, type CliIo } from './cli-io.ts';
import { parseCommandArgs, usageError } from './command-args.ts';
import { explicitMetricsFlag } from './metrics-address.ts';
import { reportError } from './report-error.ts';
import { runExtensions, type RunExtension } from './run-extensions.ts';

/**
 * `actorq run <files|dirs...>`: starts every `auto_start` entry and runs
 * until SIGINT or SIGTERM, then stops gracefully (a second signal exits at
 * once). Exit code 0 after a clean stop, 1 if start or stop failed (or a
 * port for `--inspect`/`--metrics` could not be opened: checked before
 * anything connects), 2 for a usage error.
 */
export const runCommand: CliCommand = {
  summary: 'start the configured drivers, queues and consumers until a signal',
  usage:
    'actorq run [--root <dir>] [--strict] [--log-level debug|info|warn|error] [--inspect [--inspect-port 5678] [--inspect-payloads] [--inspect-origin <origin>]... [--inspect-messages [--inspect-messages-every <n>]]] [--metrics [host:port] [--metrics-host <name>]...] <files|dirs...>',
  help: `Starts every auto_start entry (and what it depends on) and runs until
SIGINT or SIGTERM, then stops gracefully: consumers drain first, then
queues, then drivers. A second signal exits at once (130 / 143).

options:
  --root <dir>            directory every file:// source must stay inside
                          (default: the directory of the YAML file naming it)
  --strict                security strict mode: refuse every check without an
                          actor or without policies (docs/security.md)
  --log-level <level>     debug, info (default), warn or error; logs go to stderr
  --inspect               serve the Stately inspector bridge on 127.0.0.1
  --inspect-port <port>   its port (default 5678)
  --inspect-payloads      let message bodies and headers reach the inspector
  --inspect-origin <url>  another page origin allowed to connect (repeatable)
  --inspect-messages      also show a sample of the messages (delivered, acked,
                          requeued, dead-lettered, released) on their consumer,
                          bodies redacted; implies --inspect
  --inspect-messages-every <n>  one message in n (default 10)
  --metrics [address]     serve /metrics (Prometheus) and /status (JSON);
                          address: host:port, a port, or an http:// URL;
                          alone: 127.0.0.1:9464 (write --metrics=<address>
                          when a file name follows)
  --metrics-host <name>   another Host name the metrics server answers for
                          (repeatable; for a scraper of a public bind address)

exit codes: 0 stopped cleanly, 1 start or stop failed or a port could not be
opened, 2 usage error, 130/143 second signal.`,
  async run(args, io) {
    const extensions = runExtensions();
    const options = Object.fromEntries(extensions.flatMap((e) => Object.entries(e.options)));
    const parsed = parseCommandArgs(this, explicitMetricsFlag(args), { 'log-level': { type: 'string', default: 'info' }, root: { type: 'string' }, strict: { type: 'boolean' }, ...options }, io);
    if ('exit' in parsed) return parsed.exit;
    const level = parsed.values['log-level'] as string;
    if (!LOG_LEVELS.includes(level as LogLevel)) return usageError(this, `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`, io);
    if (parsed.positionals.length === 0) return usageError(this, 'no configuration given: name YAML files or directories', io);
    const logger = streamLogger(level as LogLevel, (line) => io.err(line));
    const root = parsed.values['root'] as string | undefined;
    const strict = parsed.values['strict'] === true ? { security: { strict_mode: true } } : {};
    let runtimeOptions: RuntimeOptions = { files: parsed.positionals, logger, ...(root === undefined ? {} : { root }), ...strict };
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
      for (const ext of configured) await ext.stopped?.(undefined);
      return usageError(this, (error as Error).message, io);
    }
    const runtime = createRuntime(runtimeOptions);
    // Listen before starting, so a signal during start-up still ends in a graceful stop.
    const signals = waitForSignal(io);
    try {
      // Ports first: one in use ends the command before anything connects.
      for (const ext of extensions) states.set(ext, await ext.listen?.(runtime, parsed.values, io));
    } catch (error) {
      reportError(error, io);
      signals.dispose();
      for (const ext of extensions) await ext.stopped?.(states.get(ext)).catch((e: unknown) => reportError(e, io));
      return EXIT.failed;
    }
    try {
      await runtime.start();
      io.err(`actorq: running ${runtime.registry!.entries.size} entries; Ctrl-C to stop`);
      await signals.signalled;
      await runtime.stop();
      io.err('actorq: stopped cleanly');
      return EXIT.ok;
    } catch (error) {
      reportError(error, io);
      await runtime.stop().catch((e: unknown) => reportError(e, io));
      return EXIT.failed;
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
