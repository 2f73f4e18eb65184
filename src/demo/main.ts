/**
 * The demo behind `npm start`: runs `specs/demo` (the seed's configuration
 * with a JS handler and a dead-letter queue) on the in-memory driver,
 * publishes a few thousand tasks, shows live progress, stops gracefully and
 * prints a summary. Exit code 0 when nothing was lost.
 */
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../runtime/create-runtime.ts';
import { streamLogger } from '../util/logger.ts';
import { progressLine } from './progress.ts';

const CONFIG = fileURLToPath(new URL('../../specs/demo/', import.meta.url));
const TASKS = Number(process.env['DEMO_TASKS'] ?? 5000);
const CONSUMER = 'app.queue:task_consumer';

const out = (line: string) => process.stdout.write(`${line}\n`);
const tty = process.stdout.isTTY === true;

async function demo(): Promise<number> {
  // Errors (dead-letters) are kept and shown in the summary, so they do not
  // break the live progress line.
  const errors: string[] = [];
  const runtime = createRuntime({ files: [CONFIG], logger: streamLogger('error', (line) => void errors.push(line.trimEnd())) });
  const transitions: string[] = [];
  runtime.events$.subscribe((e) => {
    if (e.type === 'lifecycle' && e.kind !== 'worker' && e.kind !== 'runtime') transitions.push(`${e.id}: ${e.previous ?? '-'} -> ${e.state}`);
  });

  out(`actorq demo: ${CONFIG}`);
  await runtime.start();
  out(`started ${runtime.registry!.entries.size} entries; publishing ${TASKS} tasks to app.queue:tasks (concurrency 4, prefetch 20)`);

  const started = performance.now();
  const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: i + 1, action: 'process', flaky: i % 20 === 7, poison: i % 500 === 123 }));
  // The queue holds 1000 (max_length default): publishBatch waits for room as workers drain it.
  const publishing = (async () => {
    for (let i = 0; i < tasks.length; i += 250) await runtime.publishBatch('app.queue:tasks', tasks.slice(i, i + 250));
  })();

  let last = 0;
  const show = (force = false) => {
    const now = performance.now();
    if (!force && now - last < (tty ? 100 : 500)) return;
    last = now;
    const line = progressLine(runtime.consumerStats(CONSUMER), TASKS, now - started);
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else out(line);
  };
  const ticker = setInterval(show, 50);
  await publishing;
  while (runtime.consumerStats(CONSUMER).acked + runtime.consumerStats(CONSUMER).deadLettered < TASKS) {
    await new Promise((r) => setTimeout(r, 10));
  }
  clearInterval(ticker);
  show(true);
  if (tty) out('');
  const elapsed = performance.now() - started;

  out('stopping gracefully...');
  await runtime.stop();
  const stats = runtime.consumerStats(CONSUMER);
  const remaining = (await runtime.info('app.queue:tasks')).message_count;
  const deadLetters = (await runtime.info('app.queue:failed_tasks')).message_count;
  const accounted = stats.acked + remaining + deadLetters;

  out('');
  out('summary');
  out(`  published       ${TASKS}`);
  out(`  acked           ${stats.acked}`);
  out(`  nacked          ${stats.nacked} (retried; flaky tasks succeed on their second attempt)`);
  out(`  dead-lettered   ${deadLetters} (poison tasks, after 3 attempts, in app.queue:failed_tasks)`);
  out(`  left in queue   ${remaining}`);
  out(`  time            ${(elapsed / 1000).toFixed(2)} s (${Math.round((TASKS / elapsed) * 1000).toLocaleString('en')} tasks/s)`);
  out(`  lifecycle       ${transitions.length} transitions, e.g. ${transitions.filter((t) => t.startsWith(CONSUMER)).map((t) => t.split(': ')[1]).join(', ')}`);
  for (const line of errors.slice(0, 3)) out(`    ${line}`);
  if (errors.length > 3) out(`    ... and ${errors.length - 3} more`);
  out(`  nothing lost    ${accounted === TASKS ? 'yes' : 'NO'}: acked + queued + dead-lettered = ${accounted} of ${TASKS} published`);
  return accounted === TASKS ? 0 : 1;
}

demo().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
