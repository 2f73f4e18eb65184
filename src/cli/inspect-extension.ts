import { ActorqError } from '../errors/actorq-error.ts';
import { parseOrigin } from '../inspect/bridge-access.ts';
import { createInspectionFeed } from '../inspect/inspection-feed.ts';
import { startInspector, type LocalInspector } from '../inspect/inspector-server.ts';
import type { RunExtension } from './run-extensions.ts';

/**
 * `actorq run --inspect [--inspect-port 5678] [--inspect-payloads]
 * [--inspect-origin <origin>]...`: the Stately inspector bridge on
 * loopback, fed by the runtime's root actor, so every driver, queue,
 * consumer and worker shows its lifecycle live.
 *
 * The feed is attached in `configure` (before the runtime exists), so the
 * actors' first states are kept for the page; the server starts at the
 * same time and `listen` (before the runtime starts) waits for it: a port
 * in use is a one-line error; then it prints its URL with the token. `stopped` runs
 * after the runtime stopped: the final states are in the feed by then, go
 * out to the clients, and the clients are closed so the process can exit.
 * @internal
 */
export function inspectExtension(): RunExtension {
  let pending: Promise<LocalInspector> | undefined;
  return {
    options: {
      inspect: { type: 'boolean', default: false },
      'inspect-port': { type: 'string', default: '5678' },
      'inspect-payloads': { type: 'boolean', default: false },
      'inspect-origin': { type: 'string', multiple: true },
    },
    configure(options, values) {
      if (!values['inspect']) return options;
      const port = Number(values['inspect-port']);
      if (!/^\d+$/.test(String(values['inspect-port'])) || port < 1 || port > 65535) {
        throw new ActorqError('CONFIG_INVALID', `--inspect-port: expected a port number (1-65535), got "${String(values['inspect-port'])}"`);
      }
      const origins = ((values['inspect-origin'] as string[] | undefined) ?? []).map(parseOrigin);
      const payloads = Boolean(values['inspect-payloads']);
      const feed = createInspectionFeed({ payloads });
      pending = startInspector({ port, feed, origins });
      // Reported by `listen`; until then the rejection is not unhandled.
      pending.catch(() => undefined);
      // createRuntime sanitizes what the inspector sees unless payloads are asked for.
      return { ...options, inspect: feed.inspect, inspectPayloads: payloads };
    },
    async listen(_runtime, values, io) {
      if (!pending) return undefined;
      const inspector = await pending;
      const extra = (values['inspect-origin'] as string[] | undefined)?.length ? `; also allowed: ${(values['inspect-origin'] as string[]).join(', ')}` : '';
      io.err(`actorq: inspector at ${inspector.url} (open it in a browser; message payloads ${values['inspect-payloads'] ? 'included' : 'hidden'}${extra})`);
      return inspector;
    },
    async stopped(state) {
      // Also when start failed after the server came up: it must not keep the process alive.
      const inspector = (state as LocalInspector | undefined) ?? (await pending?.catch(() => undefined));
      await inspector?.stop();
    },
  };
}
