import { ActorqError } from '../errors/actorq-error.ts';
import { parseOrigin } from '../inspect/bridge-access.ts';
import { createInspectionFeed } from '../inspect/inspection-feed.ts';
import { messageActivityKinds } from '../inspect/message-activity.ts';
import { builtinKinds } from '../kinds/builtin-kinds.ts';
import { startInspector, type LocalInspector } from '../inspect/inspector-server.ts';
import type { RunExtension } from './run-extensions.ts';

/**
 * `actorq run --inspect [--inspect-port 5678] [--inspect-payloads]
 * [--inspect-origin <origin>]... [--inspect-messages [--inspect-messages-every 10]]`:
 * the Stately inspector bridge on loopback, fed by the runtime's root
 * actor, so every driver, queue, consumer and worker shows its lifecycle
 * live. `--inspect-messages` (which implies `--inspect`) adds a sample of
 * the messages, one in `--inspect-messages-every`, as events on their
 * consumer (`message-activity.ts`: a side channel at the driver boundary,
 * nothing on the consumer's hot path; without the flag nothing is wrapped).
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
      'inspect-messages': { type: 'boolean', default: false },
      'inspect-messages-every': { type: 'string', default: '10' },
    },
    configure(options, values) {
      const messages = Boolean(values['inspect-messages']);
      if (!values['inspect'] && !messages) return options;
      const every = String(values['inspect-messages-every']);
      if (!/^\d+$/.test(every) || Number(every) < 1) {
        throw new ActorqError('CONFIG_INVALID', `--inspect-messages-every: expected a whole number of messages (1 or more), got "${every}"`);
      }
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
      const inspected = { ...options, inspect: feed.inspect, inspectPayloads: payloads };
      if (!messages) return inspected;
      return { ...inspected, kinds: messageActivityKinds(options.kinds ?? builtinKinds, (a) => feed.activity(a), { every: Number(every), payloads }) };
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
