import type { LocalInspector } from '../inspect/inspector-server.ts';
import { startInspector } from '../inspect/inspector-server.ts';
import type { RunExtension } from './run-extensions.ts';

/**
 * `actorq run --inspect [--inspect-port 5678] [--inspect-payloads]`: the
 * Stately inspector on loopback, connected to the runtime's root actor, so
 * every driver, queue, consumer and worker shows its lifecycle live.
 *
 * The inspector is started in `configure` (before the runtime exists), so
 * the actors' first states are seen too; `started` prints the URL.
 * @internal
 */
export function inspectExtension(): RunExtension {
  let pending: Promise<LocalInspector> | undefined;
  let buffered: ((e: Parameters<NonNullable<LocalInspector['inspect']['next']>>[0]) => void) | undefined;
  return {
    options: {
      inspect: { type: 'boolean', default: false },
      'inspect-port': { type: 'string', default: '5678' },
      'inspect-payloads': { type: 'boolean', default: false },
    },
    configure(options, values) {
      if (!values['inspect']) return options;
      const port = Number(values['inspect-port']);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--inspect-port: expected a port number, got "${String(values['inspect-port'])}"`);
      const payloads = Boolean(values['inspect-payloads']);
      // The runtime's actors start as soon as it is created; events seen
      // before the WebSocket inspector exists are queued (bounded) and replayed.
      const early: unknown[] = [];
      let target: ((e: never) => void) | undefined;
      pending = startInspector({ port, payloads });
      pending.then(
        (inspector) => {
          target = (e) => inspector.inspect.next?.(e);
          for (const e of early.splice(0)) target(e as never);
        },
        () => undefined,
      );
      buffered = (e) => {
        if (target) target(e as never);
        else if (early.length < 1000) early.push(e);
      };
      // createRuntime sanitizes what the inspector sees unless payloads are asked for.
      return { ...options, inspect: buffered, inspectPayloads: payloads };
    },
    async started(_runtime, values, io) {
      if (!values['inspect'] || !pending) return undefined;
      const inspector = await pending;
      io.err(`actorq: inspector at ${inspector.url} (open it in a browser${values['inspect-payloads'] ? '; message payloads included' : '; message payloads hidden'})`);
      return inspector;
    },
    async stopped(state) {
      (state as LocalInspector | undefined)?.stop();
    },
  };
}
