import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import type { QueueAdmin, StoredEntry } from '../../src/drivers/queue-admin.ts';
import { DriverUnavailableError } from '../../src/errors/lifecycle-errors.ts';
import { deadLetterScope, replayDeadLetters } from '../../src/ops/dead-letters.ts';
import { OpsSession } from '../../src/ops/ops-session.ts';
import { eventually, uniqueQueueName } from '../drivers/conformance-helpers.ts';
import { adminClient, deletePrefix, REDIS_URL, uniquePrefix } from '../drivers/redis/redis-test-env.ts';
import { AMQP_URL, destroyQueueAndDelays, withRawChannel } from '../drivers/amqp/broker-helpers.ts';
import { queueKeys } from '../../src/drivers/redis/redis-keys.ts';

// Replaying dead letters is at least once: whatever stops a replay (a
// failure, a crash between publishing a copy and removing its letter, a
// kill, Ctrl-C), every letter is afterwards in its dead-letter queue, in
// its target, or in both; never in neither.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Backend {
  readonly label: string;
  driverYaml(): string;
  cleanup(names: readonly string[]): Promise<void>;
  /** Stores bytes that are not a message at the tail of a queue, as another program would. */
  storeForeign?(queueName: string, text: string): Promise<void>;
}

const redisPrefix = uniquePrefix('replay');
const BACKENDS: Backend[] = [
  { label: 'memory', driverYaml: () => '    kind: queue.driver.memory\n', cleanup: async () => undefined },
  {
    label: 'redis',
    driverYaml: () => `    kind: queue.driver.redis\n    url: ${REDIS_URL}\n    key_prefix: "${redisPrefix}"\n`,
    cleanup: () => deletePrefix(redisPrefix),
    storeForeign: async (queueName, text) => {
      const client = adminClient();
      await client.rpush(queueKeys(redisPrefix, queueName).ready, text);
      await client.quit();
    },
  },
  {
    label: 'amqp',
    driverYaml: () => `    kind: queue.driver.amqp\n    url: ${AMQP_URL}\n`,
    cleanup: async (names) => {
      for (const n of names) await destroyQueueAndDelays(n, 1000);
    },
    storeForeign: (queueName, text) =>
      withRawChannel(async (ch) => {
        ch.sendToQueue(queueName, Buffer.from(text));
        await ch.waitForConfirms();
      }),
  },
];

/** A config with `app:tasks` dead-lettering into `app:dead`, on unique queue names. */
function writeConfig(dir: string, backend: Backend): { file: string; names: string[] } {
  const base = uniqueQueueName(`replay-${backend.label}`);
  const names = [`${base}-tasks`, `${base}-dead`];
  const file = join(dir, `${backend.label}.yaml`);
  writeFileSync(
    file,
    `namespace: app
entries:
  - name: broker
${backend.driverYaml()}  - name: tasks
    kind: queue.queue
    driver: app:broker
    queue_name: ${names[0]}
    dead_letter: { queue: app:dead, max_attempts: 2 }
  - name: dead
    kind: queue.queue
    driver: app:broker
    queue_name: ${names[1]}
`,
  );
  return { file, names };
}

/** Stores `n` dead letters of `app:tasks` in `app:dead` straight through the driver (as a failing consumer would). */
async function seedLetters(session: OpsSession, n: number): Promise<string[]> {
  const dead = await session.queue('app:dead');
  const ids = Array.from({ length: n }, (_, i) => `letter-${i}`);
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < n; i += 500) {
    const batch = ids.slice(i, i + 500).map((id, k) => ({
      id,
      body: { i: i + k },
      headers: { x_original_queue: 'app:tasks', x_dead_letter_reason: 'boom', x_dead_letter_time: now, attempts: 2, keep: 'me' },
    }));
    await dead.driver.publish(dead.declaration.name, batch);
  }
  return ids;
}

/** IDs of every ready message of a queue (read without consuming). */
async function idsIn(session: OpsSession, queueId: string): Promise<string[]> {
  const binding = await session.queue(queueId);
  const entries = await binding.driver.admin!.peek(binding.declaration.name, 100_000);
  return entries.map((e: StoredEntry) => (e.kind === 'message' ? e.message.id : '?'));
}

for (const backend of BACKENDS) {
  describe(`dead-letter replay on ${backend.label}: at least once`, { timeout: 60_000 }, () => {
    let dir: string;
    const made: string[] = [];
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'actorq-replay-'));
    });
    afterAll(async () => {
      await backend.cleanup(made);
      rmSync(dir, { recursive: true, force: true });
    });
    const open = async () => {
      const { file, names } = writeConfig(dir, backend);
      made.push(...names);
      return new OpsSession(await loadConfig([file]));
    };

    it('moves every letter with attempts and the dead-letter headers removed, other headers kept', async () => {
      const session = await open();
      try {
        const ids = await seedLetters(session, 5);
        const admin = (await session.queue('app:dead')).driver.admin!;
        const report = await replayDeadLetters(session, admin, deadLetterScope(session, 'app:tasks'), { limit: Infinity });
        expect(report.error).toBeUndefined();
        expect([...report.replayed]).toEqual([['app:tasks', 5]]);
        const tasks = await session.queue('app:tasks');
        const back = await tasks.driver.admin!.peek(tasks.declaration.name, 10);
        expect(back.map((e) => (e.kind === 'message' ? e.message.id : '?'))).toEqual(ids);
        for (const e of back) {
          if (e.kind !== 'message') continue;
          expect(e.message.headers['keep']).toBe('me');
          for (const h of ['attempts', 'x_original_queue', 'x_dead_letter_reason', 'x_dead_letter_time']) expect(e.message.headers).not.toHaveProperty(h);
        }
        expect(await idsIn(session, 'app:dead')).toEqual([]);
      } finally {
        await session.close();
      }
    });

    it('a crash after a copy is published and before its letter is removed leaves that letter in both queues, none lost', async () => {
      const session = await open();
      try {
        const ids = await seedLetters(session, 6);
        const real = (await session.queue('app:dead')).driver.admin!;
        // The walk dies right after the third visit published its copy: the removal never happens.
        let visits = 0;
        const crashing: QueueAdmin = {
          ...real,
          peek: real.peek.bind(real),
          purge: real.purge.bind(real),
          removeEach: (q, max, visit) =>
            real.removeEach(q, max, async (entry) => {
              const outcome = await visit(entry);
              if (++visits === 3) throw new Error('process died here');
              return outcome;
            }),
        };
        const report = await replayDeadLetters(session, crashing, deadLetterScope(session, 'app:tasks'), { limit: Infinity });
        expect((report.error as Error).message).toBe('process died here');
        await eventually(async () => (await idsIn(session, 'app:dead')).length === 4, 5000, 'four letters left');
        const inTasks = await idsIn(session, 'app:tasks');
        const inDead = await idsIn(session, 'app:dead');
        expect(inTasks).toEqual(ids.slice(0, 3));
        expect(inDead).toEqual(ids.slice(2));
        expect(new Set([...inTasks, ...inDead])).toEqual(new Set(ids));
      } finally {
        await session.close();
      }
    });

    it('a publish that fails stops the replay: that letter and the later ones stay', async () => {
      const session = await open();
      try {
        const ids = await seedLetters(session, 5);
        const admin = (await session.queue('app:dead')).driver.admin!;
        const publisher = session.publisher;
        const realPublish = publisher.publish.bind(publisher);
        let calls = 0;
        publisher.publish = (queueId, body, options) => {
          if (++calls === 3) return Promise.reject(new DriverUnavailableError('DRIVER_UNAVAILABLE', 'broker went away'));
          return realPublish(queueId, body, options);
        };
        const report = await replayDeadLetters(session, admin, deadLetterScope(session, 'app:tasks'), { limit: Infinity });
        expect((report.error as Error).message).toBe('broker went away');
        expect(report.replayed.get('app:tasks')).toBe(2);
        await eventually(async () => (await idsIn(session, 'app:dead')).length === 3, 5000, 'three letters left');
        expect(await idsIn(session, 'app:tasks')).toEqual(ids.slice(0, 2));
        expect(await idsIn(session, 'app:dead')).toEqual(ids.slice(2));
      } finally {
        await session.close();
      }
    });

    it('leaves in place what it must not replay: undecodable entries, set-aside ones, letters without a known origin', async () => {
      const session = await open();
      try {
        const dead = await session.queue('app:dead');
        const now = Math.floor(Date.now() / 1000);
        await dead.driver.publish(dead.declaration.name, [
          { id: 'good', body: { ok: 1 }, headers: { x_original_queue: 'app:tasks', attempts: 2, x_dead_letter_reason: 'boom', x_dead_letter_time: now } },
          { id: 'set-aside', body: 'raw bytes', headers: { x_original_queue: 'app:tasks', x_dead_letter_reason: 'malformed entry: not actorq framing', x_dead_letter_time: now } },
          { id: 'orphan', body: { ok: 2 }, headers: { x_original_queue: 'app:gone', attempts: 2 } },
        ]);
        if (backend.storeForeign) await backend.storeForeign(dead.declaration.name, 'not a message');
        const admin = dead.driver.admin!;
        const report = await replayDeadLetters(session, admin, deadLetterScope(session, 'app:dead'), { limit: Infinity });
        expect(report.error).toBeUndefined();
        expect([...report.replayed]).toEqual([['app:tasks', 1]]);
        expect(Object.fromEntries(report.skipped)).toEqual({
          'set aside as undecodable, never a message': 1,
          'no x_original_queue naming a configured queue (use --to)': 1,
          ...(backend.storeForeign ? { 'not a message (undecodable entry)': 1 } : {}),
        });
        await eventually(async () => (await idsIn(session, 'app:dead')).length === (backend.storeForeign ? 3 : 2), 5000, 'the rest left');
        expect(await idsIn(session, 'app:tasks')).toEqual(['good']);
        // --to takes the orphan too; still not the undecodable ones.
        const to = await replayDeadLetters(session, admin, deadLetterScope(session, 'app:dead'), { limit: Infinity, to: 'app:tasks' });
        expect(to.replayed.get('app:tasks')).toBe(1);
        expect(await idsIn(session, 'app:tasks')).toEqual(['good', 'orphan']);
      } finally {
        await session.close();
      }
    });

    if (backend.label === 'memory') return;

    it('actorq dead-letters replay killed (SIGKILL) mid-way loses nothing', async () => {
      const { file, names } = writeConfig(dir, backend);
      made.push(...names);
      const session = new OpsSession(await loadConfig([file]));
      try {
        const ids = await seedLetters(session, 3000);
        const child = spawn(process.execPath, ['src/cli/bin.mjs', 'dead-letters', file, 'app:tasks', 'replay'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        const tasks = await session.queue('app:tasks');
        // Kill it while it works: once some copies have arrived (or if it somehow finished, the test still checks the outcome).
        await eventually(async () => (await tasks.driver.info(tasks.declaration.name)).ready >= 100 || child.exitCode !== null, 45_000, `copies to arrive (${output})`);
        child.kill('SIGKILL');
        await exited;
        // The broker hands back what the killed process held once it sees the connection gone.
        let inTasks: string[] = [];
        let inDead: string[] = [];
        await eventually(
          async () => {
            inTasks = await idsIn(session, 'app:tasks');
            inDead = await idsIn(session, 'app:dead');
            return new Set([...inTasks, ...inDead]).size === ids.length;
          },
          15_000,
          'every letter in one queue or the other',
        );
        expect(inDead.length).toBeGreaterThan(0); // killed mid-way
        expect(new Set([...inTasks, ...inDead])).toEqual(new Set(ids));
        expect(inTasks.length + inDead.length).toBeGreaterThanOrEqual(ids.length);
      } finally {
        await session.close();
      }
    });

    it('actorq dead-letters replay stopped by SIGINT finishes the letter in hand: every letter exactly once, exit 130', async () => {
      const { file, names } = writeConfig(dir, backend);
      made.push(...names);
      const session = new OpsSession(await loadConfig([file]));
      try {
        const ids = await seedLetters(session, 3000);
        const child = spawn(process.execPath, ['src/cli/bin.mjs', 'dead-letters', file, 'app:tasks', 'replay'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        const tasks = await session.queue('app:tasks');
        await eventually(async () => (await tasks.driver.info(tasks.declaration.name)).ready >= 100 || child.exitCode !== null, 45_000, `copies to arrive (${stderr})`);
        child.kill('SIGINT');
        const code = await exited;
        const inTasks = await idsIn(session, 'app:tasks');
        const inDead = await idsIn(session, 'app:dead');
        expect(new Set([...inTasks, ...inDead])).toEqual(new Set(ids));
        expect(inTasks.length + inDead.length).toBe(ids.length);
        expect(inDead.length).toBeGreaterThan(0); // stopped mid-way
        expect(code).toBe(130);
        expect(stderr).toContain('interrupted');
        expect(stdout).toContain(`replayed ${inTasks.length} dead letters of app:tasks in app:dead`);
      } finally {
        await session.close();
      }
    });
  });
}
