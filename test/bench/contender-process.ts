import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * One contender served by its own Node process: a benchmark script run
 * with `tsx` that warms up once, prints `ready`, then answers each `run`
 * line on stdin with one timed rate (and the memory contenders an `alloc`
 * line with their allocation per message); it exits when stdin closes.
 *
 * Why this shape. In one shared process each contender ran on a heap left
 * by the others: putting a third contender between them moved the
 * actorq/fastq ratio from about 1.02x to 1.23x in a run. A fresh process
 * per measurement fixed that but put seconds between the two sides of a
 * round, and these machines drift between a slow and a fast phase (the
 * same code runs at 4.5M or 8M msg/s), so the rounds' ratios swung from
 * 0.6x to 1.4x. Long-lived processes, asked in turn, give each side its
 * own heap and the same moment of the machine.
 */
export class ContenderProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  /** Runs `script` with `args`. */
  constructor(script: string, args: readonly string[]) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: PROJECT_ROOT });
    // Forwarded by hand: a pipe per child adds listeners to process.stderr, and a pool has a dozen children.
    this.#child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  /** Resolves once the warm-up run is done. */
  async ready(): Promise<void> {
    const line = await this.#next();
    if (line !== 'ready') throw new Error(`contender process said ${JSON.stringify(line)} instead of "ready"`);
  }

  /** One timed run, in messages per second. */
  async run(): Promise<number> {
    this.#child.stdin.write('run\n');
    const rate = Number(await this.#next());
    if (!Number.isFinite(rate)) throw new Error('contender process answered without a rate');
    return rate;
  }

  /** Bytes allocated per message in one untimed run, and the three functions that allocated most. */
  async allocation(): Promise<Allocation> {
    this.#child.stdin.write('alloc\n');
    return JSON.parse(await this.#next()) as Allocation;
  }

  close(): void {
    this.#child.stdin.end();
  }

  async #next(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error('contender process exited early');
    return value;
  }
}

/** Processes each contender is spread over (`BENCH_PROCESSES`). */
export const PROCESSES_PER_CONTENDER = Number(process.env.BENCH_PROCESSES ?? 3);

/**
 * One contender served by several {@link ContenderProcess}es, asked in
 * turn, one run each. A single process keeps one way V8 happened to
 * compile it for the whole run, which can favour or slow that contender
 * throughout (measured in the security section: the same code at 0.84x
 * and 1.12x in two runs, each with tight rounds); over several processes
 * the median of per-round ratios averages it out.
 */
export class ContenderPool {
  readonly #processes: ContenderProcess[];
  #turn = 0;

  /** `size` processes, each running `script` with `args`. */
  constructor(script: string, args: readonly string[], size = PROCESSES_PER_CONTENDER) {
    this.#processes = Array.from({ length: Math.max(1, size) }, () => new ContenderProcess(script, args));
  }

  /** Resolves once every process has warmed up (one at a time, so no warm-up competes with another for the cores). */
  async ready(): Promise<void> {
    for (const p of this.#processes) await p.ready();
  }

  /** One timed run on the next process in turn. */
  run(): Promise<number> {
    return this.#processes[this.#turn++ % this.#processes.length]!.run();
  }

  /** Allocation per message, from the first process (allocation does not depend on how code was compiled). */
  allocation(): Promise<Allocation> {
    return this.#processes[0]!.allocation();
  }

  close(): void {
    for (const p of this.#processes) p.close();
  }
}

/** What a contender process answers to "alloc". */
export interface Allocation {
  readonly bytes: number;
  readonly top: readonly { readonly site: string; readonly bytes: number }[];
}
