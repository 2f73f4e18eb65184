import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { sanitizeInspectionEvent, sanitizePayloads, sanitizingObserver, REDACTED } from '../../src/inspect/sanitize-inspection.ts';
import { startInspector } from '../../src/inspect/inspector-server.ts';
import { until } from '../model/runtime-targets.ts';

const YAML = `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: q, kind: queue.queue, driver: app:mem }
  - { name: c, kind: queue.consumer, queue: app:q, func: app:h, concurrency: 2, lifecycle: { auto_start: true } }
`;
const SECRET = 'top-secret-payload-7f3a';

describe('inspection', () => {
  it('createRuntime({ inspect }) sees every actor and no message payload', async () => {
    const seen: InspectionEvent[] = [];
    const registry = parseConfigText(YAML, '<inline>', { extraFunctionIds: ['app:h'] });
    const runtime = createRuntime({ registry, functions: { 'app:h': async () => {} }, logger: silentLogger, inspect: sanitizingObserver((e) => seen.push(e)) });
    await runtime.start();
    for (let i = 0; i < 50; i++) await runtime.publish('app:q', { secret: SECRET, i }, { headers: { token: SECRET } });
    await until(() => expect(runtime.consumerStats('app:c').acked).toBe(50));
    await runtime.stop();
    const ids = new Set(seen.map((e) => (e.actorRef as { systemId?: string }).systemId));
    expect([...ids]).toEqual(expect.arrayContaining(['actorq', 'app:mem', 'app:q', 'app:c', 'app:c#worker-0', 'app:c#worker-1']));
    const text = JSON.stringify(seen.map((e) => ({ type: e.type, event: 'event' in e ? e.event : undefined, snapshot: 'snapshot' in e ? (e.snapshot as { value?: unknown; context?: unknown }) : undefined })), (_k, v) => (typeof v === 'object' && v && 'sessionId' in v ? '[actor]' : v));
    expect(text).not.toContain(SECRET);
    // No event per message: 50 messages add no inspection traffic of their own.
    expect(seen.filter((e) => e.type === '@xstate.event').length).toBeLessThan(200);
  });

  it('sanitizer redacts bodies and headers unless payloads are asked for', () => {
    expect(sanitizePayloads({ type: 'x', body: { s: SECRET }, nested: { headers: { a: 1 } }, error: new Error('boom') })).toEqual({
      type: 'x',
      body: REDACTED,
      nested: { headers: REDACTED },
      error: { name: 'Error', message: 'boom' },
    });
    const event = { type: '@xstate.event', event: { type: 'e', message: { body: SECRET } }, actorRef: {}, rootId: 'r', sourceRef: undefined } as unknown as InspectionEvent;
    expect(JSON.stringify(sanitizeInspectionEvent(event))).not.toContain(SECRET);
    const raw: InspectionEvent[] = [];
    sanitizingObserver((e) => raw.push(e), { payloads: true }).next!(event);
    expect(raw[0]).toBe(event);
  });

  it('startInspector serves the inspector page on loopback, behind its token', async () => {
    const inspector = await startInspector({ port: 0 });
    try {
      const url = new URL(inspector.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.searchParams.get('token')).toBe(inspector.token);
      expect(inspector.token).toMatch(/^[\w-]{43}$/);
      const res = await fetch(inspector.url);
      expect(await res.text()).toContain('stately.ai/inspect');
      expect((await fetch(`${url.origin}/`)).status).toBe(401);
    } finally {
      await inspector.stop();
    }
  });

  it('two bridges get different tokens', async () => {
    const [a, b] = await Promise.all([startInspector({ port: 0 }), startInspector({ port: 0 })]);
    expect(a.token).not.toBe(b.token);
    await Promise.all([a.stop(), b.stop()]);
  });
});
