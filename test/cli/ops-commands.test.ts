import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import { MemoryDriver } from '../../src/drivers/memory/memory-driver.ts';
import type { Driver } from '../../src/drivers/driver.ts';
import type { DriverKind, KindCatalog } from '../../src/kinds/kind-descriptors.ts';
import { builtinKinds } from '../../src/kinds/builtin-kinds.ts';
import { eventually, uniqueQueueName } from '../drivers/conformance-helpers.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../drivers/redis/redis-test-env.ts';
import { AMQP_URL, destroyQueueAndDelays } from '../drivers/amqp/broker-helpers.ts';

// The operator commands, run in this process through `main` (the same code
// as the installed command), against real Redis and RabbitMQ on loopback.

interface Backend {
  readonly label: string;
  /** The driver entry's kind and fields (YAML lines under `- name: broker`). */
  driverYaml(): string;
  cleanup(queueNames: readonly string[]): Promise<void>;
  /** Whether peek takes and hands back (and says so). */
  readonly takesToPeek: boolean;
  /**
   * Whether `info().delayed` counts messages another process delayed (the
   * AMQP driver counts only the delay queues it used itself).
   */
  readonly countsOthersDelays: boolean;
}

const redisPrefix = uniquePrefix('ops-cli');
const BACKENDS: Backend[] = [
  {
    label: 'redis',
    driverYaml: () => `    kind: queue.driver.redis\n    url: ${REDIS_URL}\n    key_prefix: "${redisPrefix}"\n`,
    cleanup: () => deletePrefix(redisPrefix),
    takesToPeek: false,
    countsOthersDelays: true,
  },
  {
    label: 'amqp',
    driverYaml: () => `    kind: queue.driver.amqp\n    url: ${AMQP_URL}\n`,
    cleanup: async (names) => {
      for (const n of names) await destroyQueueAndDelays(n, 120_000);
    },
    takesToPeek: true,
    countsOthersDelays: false,
  },
];

/** Runs the CLI in this process and captures what it prints. */
async function cli(io: Partial<CliIo>, ...argv: string[]): Promise<{ code: number; out: string; err: string; lines: string[] }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), ...io });
  return { code, out, err, lines: out.split('\n').filter((l) => l !== '') };
}

const parse = (line: string) => JSON.parse(line) as { id: string; headers: Record<string, unknown>; body: unknown };

for (const backend of BACKENDS) {
  describe(`ops commands on ${backend.label}`, { timeout: 60_000 }, () => {
    let dir: string;
    let config: string;
    let workerConfig: string;
    const base = uniqueQueueName(`ops-${backend.label}`);
    const names = { tasks: `${base}-tasks`, other: `${base}-other`, dead: `${base}-dead` };
    const marker = () => join(dir, 'handler-was-loaded');

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'actorq-ops-cli-'));
      const queues = [
        `  - name: broker\n${backend.driverYaml()}`,
        `  - name: tasks\n    kind: queue.queue\n    driver: app:broker\n    queue_name: ${names.tasks}\n    dead_letter: { queue: app:dead, max_attempts: 2 }\n`,
        `  - name: other\n    kind: queue.queue\n    driver: app:broker\n    queue_name: ${names.other}\n    dead_letter: { queue: app:dead, max_attempts: 1 }\n`,
        `  - name: dead\n    kind: queue.queue\n    driver: app:broker\n    queue_name: ${names.dead}\n`,
      ];
      // The operators' configuration: its consumer starts automatically and its
      // handler leaves a mark when loaded; no ops command may do either.
      writeFileSync(join(dir, 'handler.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker())}, 'loaded');\nexport default async () => {};\n`);
      config = join(dir, 'ops.yaml');
      writeFileSync(
        config,
        `namespace: app\nentries:\n${queues.join('')}  - name: worker\n    kind: queue.consumer\n    queue: app:tasks\n    func: app:handler\n    lifecycle: { auto_start: true }\n  - name: handler\n    kind: function.js\n    source: file://handler.mjs\n`,
      );
      // A worker whose handler always fails (supplied in code), to make real dead letters.
      const workers = ['tasks', 'other'].map((q) => `  - name: ${q}_worker\n    kind: queue.consumer\n    queue: app:${q}\n    func: app:failing\n    lifecycle: { auto_start: true }\n`);
      workerConfig = join(dir, 'worker', 'worker.yaml');
      mkdirSync(join(dir, 'worker'));
      writeFileSync(workerConfig, `namespace: app\nentries:\n${queues.join('')}${workers.join('')}`);
    });
    afterAll(async () => {
      await backend.cleanup(Object.values(names));
      rmSync(dir, { recursive: true, force: true });
    });

    it('publish: JSON with headers and an ID, peek shows it, info counts it; no consumer starts, no handler loads', async () => {
      const r = await cli({}, 'publish', config, 'app:tasks', '{"n":1}', '--header', 'a=b', '--header', 'p:=5', '--header', 'flag:=true', '--id', 'msg-1');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe('published 1 message to app:tasks (id msg-1)');
      const info = await cli({}, 'info', config, 'app:tasks', '--json');
      expect(info.code).toBe(0);
      expect(JSON.parse(info.out)['app:tasks']).toMatchObject({ ready: 1, in_flight: 0, consumer_count: 0 });
      const peek = await cli({}, 'peek', config, 'app:tasks', '-n', '5');
      expect(peek.code).toBe(0);
      expect(peek.lines).toHaveLength(1);
      expect(parse(peek.lines[0]!)).toMatchObject({ id: 'msg-1', body: { n: 1 }, headers: { a: 'b', p: 5, flag: true } });
      expect(peek.err).toContain('1 message of 1 ready at the head of app:tasks');
      if (backend.takesToPeek) expect(peek.err).toContain('cannot read without taking: these messages were taken and handed straight back in their order, and are now marked redelivered');
      else expect(peek.err).not.toContain('cannot read without taking');
      // Peeking consumed nothing.
      expect(JSON.parse((await cli({}, 'info', config, 'app:tasks', '--json')).out)['app:tasks'].ready).toBe(1);
      expect(existsSync(marker())).toBe(false);
    });

    it('publish --delay counts as delayed; info of every queue prints a table', async () => {
      const r = await cli({}, 'publish', config, 'app:other', '"later"', '--delay', '1m');
      expect(r.code).toBe(0);
      expect(r.out).toContain('delay 1m');
      const info = await cli({}, 'info', config);
      expect(info.code).toBe(0);
      expect(info.out).toMatch(/queue\s+driver\s+ready\s+in flight\s+delayed\s+parked\s+consumers/);
      expect(info.out).toMatch(new RegExp(`app:other\\s+app:broker\\s+0\\s+0\\s+${backend.countsOthersDelays ? 1 : 0}\\s`));
      expect(info.out).toMatch(/app:tasks\s+app:broker\s+1\s+0\s+0\s/);
      expect(info.out).toMatch(/app:dead\s+app:broker\s+0\s/);
    });

    it('publish - reads one message per line, skips and reports bad lines, counts', async () => {
      const stdin = Readable.from(['{"n":2}\n{"n":3}\n', 'not json\n', '\n', '{}\n', '{"n":4}']);
      const r = await cli({ stdin }, 'publish', config, 'app:tasks', '-', '--header', 'batch=yes');
      expect(r.code).toBe(1);
      expect(r.out.trim()).toBe('published 3 messages to app:tasks from standard input');
      expect(r.err).toContain('line 3 skipped: not JSON');
      expect(r.err).toMatch(/line 5 skipped: .*body/);
      expect(r.err).toContain('2 lines skipped');
      const peek = await cli({}, 'peek', config, 'app:tasks', '-n', '10');
      expect(peek.lines.map((l) => parse(l).body)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      expect(parse(peek.lines[1]!).headers['batch']).toBe('yes');
    });

    it('bad input is a usage error before anything connects', async () => {
      expect((await cli({}, 'publish', config, 'app:tasks', '{nope')).code).toBe(2);
      expect((await cli({}, 'publish', config, 'app:tasks', 'hello')).err).toContain(`a string body is quoted JSON: '"hello"'`);
      expect((await cli({}, 'publish', config, 'app:tasks', '1', '--delay', 'soon')).err).toContain('--delay soon:');
      expect((await cli({}, 'publish', config, 'app:tasks', '1', '--header', 'novalue')).err).toContain('expected name=value');
      expect((await cli({}, 'publish', config, 'app:tasks')).err).toContain('no message');
      expect((await cli({}, 'peek', config, 'app:tasks', '-n', '0')).code).toBe(2);
      const reserved = await cli({}, 'publish', config, 'app:tasks', '1', '--header', 'attempts:=0');
      expect(reserved.code).toBe(1);
      expect(reserved.err).toMatch(/error INVALID_MESSAGE: .*attempts/);
      const unknown = await cli({}, 'publish', config, 'app:taks', '1');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('did you mean app:tasks?');
    });

    it('purge refuses without --yes, then deletes the ready messages only', async () => {
      const refused = await cli({}, 'purge', config, 'app:tasks');
      expect(refused.code).toBe(2);
      expect(refused.err).toContain('add --yes');
      expect(JSON.parse((await cli({}, 'info', config, 'app:tasks', '--json')).out)['app:tasks'].ready).toBe(4);
      const r = await cli({}, 'purge', config, 'app:tasks', '--yes');
      expect(r.code).toBe(0);
      expect(r.out).toContain('purged 4 ready messages from app:tasks');
      const other = await cli({}, 'purge', config, 'app:other', '--yes');
      expect(other.out).toContain(`purged 0 ready messages from app:other (staying: 0 in flight, ${backend.countsOthersDelays ? 1 : 0} delayed)`);
      expect(JSON.parse((await cli({}, 'info', config, 'app:tasks', '--json')).out)['app:tasks'].ready).toBe(0);
    });

    it('dead-letters list and replay: filtered by source, attempts reset, nothing lost, --to for another queue', async () => {
      // Real dead letters: a worker whose handler always fails.
      const worker = createRuntime({ files: [workerConfig], functions: { 'app:failing': async () => Promise.reject(new Error('boom')) } });
      await worker.start();
      await worker.publishBatch('app:tasks', [1, 2, 3, 4, 5].map((n) => ({ t: n })));
      await worker.publishBatch('app:other', [1, 2].map((n) => ({ o: n })));
      await eventually(async () => (await worker.info('app:dead')).ready === 7, 20_000, 'seven dead letters');
      await worker.stop();

      const list = await cli({}, 'dead-letters', config, 'app:tasks', 'list');
      expect(list.code).toBe(0);
      expect(list.lines).toHaveLength(5);
      for (const line of list.lines) expect(parse(line).headers).toMatchObject({ x_original_queue: 'app:tasks', x_dead_letter_reason: 'boom', attempts: 2 });
      expect(list.err).toContain('5 dead letters of app:tasks in app:dead');
      const all = await cli({}, 'dead-letters', config, 'app:dead', 'list', '--limit', '3');
      expect(all.lines).toHaveLength(3);
      expect(all.err).toContain('(the first 3; --limit for more)');
      // Listing removed nothing.
      expect(JSON.parse((await cli({}, 'info', config, 'app:dead', '--json')).out)['app:dead'].ready).toBe(7);

      const some = await cli({}, 'dead-letters', config, 'app:tasks', 'replay', '--limit', '2');
      expect(some.code).toBe(0);
      expect(some.out).toContain('replayed 2 dead letters of app:tasks in app:dead: 2 to app:tasks (attempts reset)');
      const rest = await cli({}, 'dead-letters', config, 'app:tasks', 'replay');
      expect(rest.code).toBe(0);
      expect(rest.out).toContain('replayed 3 dead letters');
      expect(rest.out).toContain('left in place: 2 dead-lettered from another queue');

      const back = await cli({}, 'peek', config, 'app:tasks', '-n', '10');
      const replayed = back.lines.map(parse);
      expect(replayed.map((m) => (m.body as { t: number }).t).sort()).toEqual([1, 2, 3, 4, 5]);
      const originalIds = list.lines.map((l) => parse(l).id).sort();
      expect(replayed.map((m) => m.id).sort()).toEqual(originalIds);
      for (const m of replayed) {
        expect(m.headers).not.toHaveProperty('attempts');
        expect(m.headers).not.toHaveProperty('x_original_queue');
        expect(m.headers).not.toHaveProperty('x_dead_letter_reason');
        expect(m.headers).not.toHaveProperty('x_dead_letter_time');
      }
      // The other queue's letters, named through the dead-letter queue itself, to a queue of our choice.
      const moved = await cli({}, 'dead-letters', config, 'app:dead', 'replay', '--to', 'app:other');
      expect(moved.code).toBe(0);
      expect(moved.out).toContain('replayed 2 dead letters in app:dead: 2 to app:other');
      const figures = JSON.parse((await cli({}, 'info', config, '--json')).out);
      expect(figures['app:dead'].ready).toBe(0);
      expect(figures['app:tasks'].ready).toBe(5);
      expect(figures['app:other'].ready).toBe(2);
      expect(existsSync(marker())).toBe(false);
    });

    it('dead-letters: a bad action, --to the dead-letter queue itself', async () => {
      const r = await cli({}, 'dead-letters', config, 'app:dead', 'replay', '--to', 'app:dead');
      expect(r.code).toBe(1);
      expect(r.err).toContain('that is the dead-letter queue itself');
      expect((await cli({}, 'dead-letters', config, 'app:tasks', 'lst')).err).toContain('unknown action "lst"');
      expect((await cli({}, 'dead-letters', config, 'app:tasks', 'list', '--to', 'app:other')).code).toBe(2);
    });
  });
}

describe('ops commands on the memory driver and on a driver without admin tools', () => {
  let dir: string;
  let config: string;
  // A driver kind with no admin tools (as a third-party or new driver may be).
  const plainKind: DriverKind = {
    kind: 'queue.driver.plain',
    optionsKey: 'plain',
    schema: z.object({}).strict(),
    queueOptionsSchema: z.object({}).strict(),
    async create(entry) {
      const inner = new MemoryDriver(entry.id);
      const plain: Driver = {
        id: entry.id,
        status$: inner.status$,
        start: () => inner.start(),
        stop: () => inner.stop(),
        declare: (q) => inner.declare(q),
        publish: (q, m, o) => inner.publish(q, m, o),
        consume: (q, o) => inner.consume(q, o),
        info: (q) => inner.info(q),
      };
      return plain;
    },
  };
  const kinds: KindCatalog = { drivers: new Map([...builtinKinds.drivers, [plainKind.kind, plainKind]]), functions: builtinKinds.functions };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'actorq-ops-memory-'));
    config = join(dir, 'ops.yaml');
    writeFileSync(
      config,
      `namespace: app
entries:
  - name: mem
    kind: queue.driver.memory
  - name: plain
    kind: queue.driver.plain
  - name: tasks
    kind: queue.queue
    driver: app:mem
    dead_letter: { queue: app:dead, max_attempts: 2 }
  - name: dead
    kind: queue.queue
    driver: app:mem
  - name: lonely
    kind: queue.queue
    driver: app:mem
  - name: elsewhere
    kind: queue.queue
    driver: app:plain
    dead_letter: { queue: app:elsewhere_dead, max_attempts: 2 }
  - name: elsewhere_dead
    kind: queue.queue
    driver: app:plain
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('memory: every command works and says that this process has its own copy', async () => {
    const pub = await cli({ kinds }, 'publish', config, 'app:tasks', '{"a":1}');
    expect(pub.code).toBe(0);
    expect(pub.err).toContain('note: app:tasks is on app:mem (queue.driver.memory): its messages live in the process that runs it');
    const peek = await cli({ kinds }, 'peek', config, 'app:tasks');
    expect(peek.code).toBe(0);
    expect(peek.lines).toEqual([]);
    expect((await cli({ kinds }, 'purge', config, 'app:tasks', '--yes')).out).toContain('purged 0');
    expect((await cli({ kinds }, 'dead-letters', config, 'app:tasks', 'replay')).out).toContain('replayed 0 dead letters');
    const none = await cli({ kinds }, 'dead-letters', config, 'app:lonely', 'list');
    expect(none.code).toBe(1);
    expect(none.err).toContain('app:lonely has no dead_letter block and no queue dead-letters into it');
  });

  it('a driver without admin tools: peek, purge and dead-letters say "not supported by this driver", exit 3; publish and info work', async () => {
    for (const argv of [
      ['peek', config, 'app:elsewhere'],
      ['purge', config, 'app:elsewhere', '--yes'],
      ['dead-letters', config, 'app:elsewhere', 'list'],
      ['dead-letters', config, 'app:elsewhere', 'replay'],
    ]) {
      const r = await cli({ kinds }, ...argv);
      expect(r.code, argv.join(' ')).toBe(3);
      expect(r.err).toMatch(/(peek|purge|dead-letters list|dead-letters replay) is not supported by this driver: app:elsewhere(_dead)? is on app:plain \(queue\.driver\.plain\)/);
    }
    expect((await cli({ kinds }, 'publish', config, 'app:elsewhere', '1')).code).toBe(0);
    expect((await cli({ kinds }, 'info', config, 'app:elsewhere')).code).toBe(0);
  });
});

describe('ops commands when the backend cannot be reached', () => {
  it('fail with one line naming the driver, within its start_timeout, rather than waiting through reconnects', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'actorq-ops-down-'));
    try {
      const config = join(dir, 'down.yaml');
      writeFileSync(
        config,
        `namespace: app\nentries:\n  - name: broker\n    kind: queue.driver.amqp\n    url: amqp://guest:guest@127.0.0.1:1/\n    reconnect_delay: 100ms\n    lifecycle: { start_timeout: 1s }\n  - name: q\n    kind: queue.queue\n    driver: app:broker\n`,
      );
      for (const argv of [
        ['publish', config, 'app:q', '1'],
        ['info', config, 'app:q'],
        ['peek', config, 'app:q'],
      ]) {
        const r = await cli({}, ...argv);
        expect(r.code, argv[0]).toBe(1);
        expect(r.err, argv[0]).toMatch(/(error DRIVER_UNAVAILABLE: .*app:broker|app:q: .*app:broker)/);
        expect(r.err).not.toMatch(/\n\s+at /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a broker that accepts the connection and never answers is given up at the driver start_timeout', { timeout: 30_000 }, async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'actorq-ops-silent-'));
    try {
      const config = join(dir, 'silent.yaml');
      writeFileSync(
        config,
        `namespace: app\nentries:\n  - name: broker\n    kind: queue.driver.amqp\n    url: amqp://guest:guest@127.0.0.1:${port}/\n    connection_timeout: 4s\n    lifecycle: { start_timeout: 1s }\n  - name: q\n    kind: queue.queue\n    driver: app:broker\n`,
      );
      const r = await cli({}, 'publish', config, 'app:q', '1');
      expect(r.code).toBe(1);
      expect(r.err.trim()).toBe('error DRIVER_UNAVAILABLE: driver app:broker did not connect within 1000ms (its lifecycle.start_timeout)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      silent.close();
    }
  });
});
