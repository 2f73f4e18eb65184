import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createRuntime, type Runtime } from '../../src/runtime/create-runtime.ts';
import type { Handler, HandlerContext } from '../../src/functions/handler.ts';
import { PermissionDeniedError } from '../../src/errors/permission-denied-error.ts';
import { NotFoundError } from '../../src/errors/not-found-error.ts';
import { StartError } from '../../src/errors/lifecycle-errors.ts';
import { recordingLogger, until } from '../support/runtime-kit.ts';
import type { Logger } from '../../src/util/logger.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop().catch(() => {});
  runtime = undefined;
});

/**
 * Queues `s:in` (read by consumer `s:c` as svc:router, a worker),
 * `s:out` (allowed) and `s:forbidden` (denied by rule), `s:other` (no
 * policy allows it). `security` replaces the consumer's block.
 */
function yaml(security = '{ actor: { id: "svc:router", meta: { role: worker } }, groups: [s:workers] }', extra = ''): string {
  return `namespace: s
entries:
  - { name: d, kind: queue.driver.memory, lifecycle: { auto_start: true } }
  - { name: in, kind: queue.queue, driver: s:d }
  - { name: out, kind: queue.queue, driver: s:d }
  - { name: forbidden, kind: queue.queue, driver: s:d }
  - { name: other, kind: queue.queue, driver: s:d }
  - name: publish
    kind: security.policy
    policy: { actions: queue.publish, resources: "*", effect: allow }
    groups: [workers]
  - name: worker_queues
    kind: security.policy
    policy:
      actions: [queue.publish.queue, queue.info, queue.consume]
      resources: [s:in, s:out, s:forbidden]
      effect: allow
      conditions: [{ field: actor.meta.role, operator: eq, value: worker }]
    groups: [workers]
  - name: no_forbidden
    kind: security.policy
    policy: { actions: "queue.*", resources: s:forbidden, effect: deny }
    groups: [workers]
  - name: c
    kind: queue.consumer
    queue: s:in
    func: s:h
    lifecycle: { auto_start: true, restart: { initial_delay: 1m, max_delay: 1m }, security: ${security} }
${extra}`;
}

function start(handler: Handler, options: { security?: string; strict?: boolean; logger?: Logger; extra?: string } = {}): Runtime {
  const registry = parseConfigText(yaml(options.security, options.extra), '<test>', { extraFunctionIds: ['s:h'] });
  runtime = createRuntime({ registry, functions: { 's:h': handler }, logger: options.logger ?? recordingLogger(), ...(options.strict ? { security: { strict_mode: true } } : {}) });
  return runtime;
}

/** A handler that runs `body` against its context and reports what came out. */
function probe<T>(body: (ctx: HandlerContext) => Promise<T> | T) {
  const results: { ok: boolean; value: unknown }[] = [];
  const handler: Handler = async (_b, ctx) => {
    try {
      results.push({ ok: true, value: await body(ctx) });
    } catch (error) {
      results.push({ ok: false, value: error });
    }
  };
  return { handler, results };
}

const queued = async (queueId: string) => (await runtime!.info(queueId)).message_count;

describe('security at run time (JavaScript handlers)', () => {
  it('lets a handler publish where its policies allow', async () => {
    const { handler, results } = probe((ctx) => ctx.publish('s:out', { n: 1 }));
    await start(handler).start();
    await runtime!.publish('s:in', { go: 1 });
    await until(() => results.length === 1, 'handler ran');
    expect(results[0]!.ok).toBe(true);
    expect(await queued('s:out')).toBe(1);
  });

  it('refuses a publish denied by rule: PermissionDeniedError naming actor, action, resource; nothing enqueued; warn without body; counted', async () => {
    const logger = recordingLogger();
    const { handler, results } = probe((ctx) => ctx.publish('s:forbidden', { secret: 'body-text' }));
    await start(handler, { logger }).start();
    await runtime!.publish('s:in', { go: 1 });
    await until(() => results.length === 1, 'handler ran');
    const error = results[0]!.value as PermissionDeniedError;
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error.code).toBe('PERMISSION_DENIED');
    expect(error.message).toBe('svc:router may not queue.publish.queue s:forbidden (denied by s:no_forbidden)');
    expect(await queued('s:forbidden')).toBe(0);
    const warn = logger.records.find((r) => r.level === 'warn' && r.message === 'permission denied');
    expect(warn?.fields).toMatchObject({ consumer: 's:c', actor: 'svc:router', action: 'queue.publish.queue', resource: 's:forbidden' });
    expect(JSON.stringify(logger.records)).not.toContain('body-text');
    expect((await runtime!.metrics()).consumers.find((c) => c.id === 's:c')?.denials).toBe(1);
  });

  it('refuses a publish no policy allows (undefined is a denial), and ctx.info without queue.info', async () => {
    const { handler, results } = probe(async (ctx) => {
      const publish = await ctx.publish('s:other', 1).then(() => 'published', (e: unknown) => e);
      const info = await ctx.info('s:other').then(() => 'read', (e: unknown) => e);
      return { publish, info, allowed: await ctx.info('s:out') };
    });
    await start(handler).start();
    await runtime!.publish('s:in', 1);
    await until(() => results.length === 1, 'handler ran');
    const { publish, info, allowed } = results[0]!.value as Record<string, unknown>;
    expect((publish as Error).message).toBe('svc:router may not queue.publish.queue s:other (no policy allows it)');
    expect((info as Error).message).toBe('svc:router may not queue.info s:other (no policy allows it)');
    expect(allowed).toMatchObject({ message_count: 0 });
    expect(await queued('s:other')).toBe(0);
  });

  it('gives the handler its actor, frozen, and ctx.can', async () => {
    const { handler, results } = probe((ctx) => ({
      actor: ctx.actor,
      frozen: Object.isFrozen(ctx.actor) && Object.isFrozen(ctx.actor?.meta),
      out: ctx.can('queue.publish.queue', 's:out'),
      forbidden: ctx.can('queue.publish.queue', 's:forbidden'),
      unknown: ctx.can('document.read', 'doc:1'),
    }));
    await start(handler).start();
    await runtime!.publish('s:in', 1);
    await until(() => results.length === 1, 'handler ran');
    expect(results[0]!.value).toEqual({ actor: { id: 'svc:router', meta: { role: 'worker' } }, frozen: true, out: true, forbidden: false, unknown: false });
  });

  it('a consumer whose actor may not consume its queue fails to start with a clear error and takes nothing', async () => {
    let calls = 0;
    start(() => void calls++, { security: '{ actor: { id: "svc:guest", meta: { role: guest } }, groups: [s:workers] }' });
    await runtime!.load();
    await runtime!.startEntry('s:in');
    await runtime!.publish('s:in', { waiting: true });
    const error = await runtime!.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toContain('svc:guest may not queue.consume s:in (no policy allows it)');
    expect(await runtime!.info('s:in')).toMatchObject({ message_count: 1, ready: 1, in_flight: 0, consumer_count: 0 });
    expect(calls).toBe(0);
    expect((await runtime!.metrics()).consumers.find((c) => c.id === 's:c')?.denials).toBe(1);
  });

  it('runs a function entry under its own security block instead of its consumer\'s', async () => {
    const dir = fileURLToPath(new URL('../../specs/security/orders/', import.meta.url));
    const extra = `  - { name: f, kind: function.js, source: file://${join(dir, 'route.mjs')}, security: { actor: { id: "svc:fn", meta: { role: worker } }, groups: [s:workers] } }
  - name: fc
    kind: queue.consumer
    queue: s:out
    func: s:f
    lifecycle: { auto_start: true, security: { actor: { id: "svc:guest" } } }`;
    const registry = parseConfigText(yaml(undefined, extra), '<test>', { extraFunctionIds: ['s:h'], root: '/' });
    const logger = recordingLogger();
    runtime = createRuntime({ registry, functions: { 's:h': () => {} }, logger });
    await runtime.start();
    // route.mjs publishes to app.orders:audit, which no policy of svc:fn allows: the
    // refusal names the function's actor, not the consumer's svc:guest.
    await runtime.publish('s:out', { id: 1 });
    await until(() => logger.records.some((r) => r.message === 'permission denied'), 'the function was refused');
    const warn = logger.records.find((r) => r.message === 'permission denied')!;
    expect(warn.fields).toMatchObject({ consumer: 's:fc', actor: 'svc:fn', action: 'queue.publish.queue', resource: 'app.orders:audit' });
  });
});

describe('runtime.publish with an actor', () => {
  const router = { id: 'svc:router', meta: { role: 'worker' } };

  it('checks host code that names an actor, through its policies and groups; without an actor, host code is trusted', async () => {
    await start(() => {}).start();
    await expect(runtime!.publish('s:out', 1, { actor: router, groups: ['s:workers'] })).resolves.toBeUndefined();
    await expect(runtime!.publish('s:out', 1, { actor: router, policies: ['s:publish', 's:worker_queues'] })).resolves.toBeUndefined();
    const denied = await runtime!.publish('s:forbidden', 1, { actor: router, groups: ['s:workers'] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect((denied as Error).message).toBe('svc:router may not queue.publish.queue s:forbidden (denied by s:no_forbidden)');
    // Only queue.publish: the per-queue check finds no policy.
    const narrow = await runtime!.publish('s:out', 1, { actor: router, policies: ['s:publish'] }).catch((e: unknown) => e);
    expect((narrow as Error).message).toBe('svc:router may not queue.publish.queue s:out (no policy allows it)');
    const batch = await runtime!.publishBatch('s:forbidden', [1, 2], { actor: router, groups: ['s:workers'] }).catch((e: unknown) => e);
    expect(batch).toBeInstanceOf(PermissionDeniedError);
    expect(await queued('s:forbidden')).toBe(0);
    expect(await queued('s:out')).toBe(2);
    // Host code without an actor is trusted: the seed's publishes run unchanged.
    await runtime!.publish('s:forbidden', 1);
    expect(await queued('s:forbidden')).toBe(1);
  });

  it('refuses unknown policies and groups, and a malformed actor, storing nothing', async () => {
    await start(() => {}).start();
    await expect(runtime!.publish('s:out', 1, { actor: router, policies: ['s:nope'] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(runtime!.publish('s:out', 1, { actor: router, groups: ['s:nobody'] })).rejects.toThrow('security policy group not found: s:nobody');
    await expect(runtime!.publish('s:out', 1, { actor: { name: 'x' } as never, groups: ['s:workers'] })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(await queued('s:out')).toBe(0);
  });
});

describe('strict mode', () => {
  it('refuses host code without an actor, and allows it with one', async () => {
    await start(() => {}, { strict: true }).start();
    const denied = await runtime!.publish('s:out', 1).catch((e: unknown) => e);
    expect((denied as Error).message).toBe('code without an actor may not queue.publish (strict mode: no actor)');
    // An actor without policies has no scope: refused too.
    await expect(runtime!.publish('s:out', 1, { actor: { id: 'svc:x' } })).rejects.toThrow('svc:x may not queue.publish (strict mode: no policies)');
    await runtime!.publish('s:out', 1, { actor: { id: 'svc:router', meta: { role: 'worker' } }, groups: ['s:workers'] });
    expect(await queued('s:out')).toBe(1);
  });

  it('a consumer without a security block fails to start; outside strict mode it runs and publishes anywhere', async () => {
    const registry = (strict: boolean) => {
      const text = yaml().replace(/, security: \{.*\} \}\n/, ' }\n');
      expect(text).not.toContain('svc:router');
      const r = parseConfigText(text, '<test>', { extraFunctionIds: ['s:h'] });
      return createRuntime({ registry: r, functions: { 's:h': (_b, ctx) => ctx.publish('s:forbidden', 1) }, logger: recordingLogger(), ...(strict ? { security: { strict_mode: true } } : {}) });
    };
    runtime = registry(true);
    await expect(runtime.start()).rejects.toThrow('code without an actor may not queue.consume s:in (strict mode: no actor)');
    await runtime.stop().catch(() => {});
    runtime = registry(false);
    await runtime.start();
    await runtime.publish('s:in', 1);
    await until(async () => (await queued('s:forbidden')) === 1, 'the trusted handler published');
  });
});

describe('specs/security/orders', () => {
  it('runs two consumers under different actors with one policy file: the router writes the audit, the reporter may only read it', async () => {
    const logger = recordingLogger();
    runtime = createRuntime({ files: [fileURLToPath(new URL('../../specs/security/orders', import.meta.url))], logger });
    await runtime.start();
    await runtime.publish('app.orders:incoming', { id: 'o-1' });
    await until(async () => (await runtime!.info('app.orders:audit')).message_count === 1, 'the router audited o-1');
    await runtime.publish('app.orders:reports', { id: 'r-1' });
    await until(() => runtime!.consumerStats('app.orders:reporter').acked === 1, 'the reporter handled r-1');
    expect((await runtime.info('app.orders:audit')).message_count).toBe(1);
    const reporter = (await runtime.metrics()).consumers.find((c) => c.id === 'app.orders:reporter');
    expect(reporter?.denials).toBe(0);
    // Its publish would be refused: the deny policy on the audit queue applies to anyone but the router.
    await expect(runtime.publish('app.orders:audit', 1, { actor: { id: 'svc:reporter', meta: { role: 'worker' } }, groups: ['app.security:services'] })).rejects.toThrow(
      'svc:reporter may not queue.publish.queue app.orders:audit (denied by app.security:audit_is_the_routers)',
    );
  });
});
