import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyStateMachine } from 'xstate';
import { consumerMachine } from '../../machines/consumer.machine.ts';
import { driverMachine } from '../../machines/driver.machine.ts';
import { queueMachine } from '../../machines/queue.machine.ts';
import { workerMachine } from '../../machines/worker.machine.ts';
import { runtimeMachine } from '../../machines/runtime.machine.ts';
import { connectionMachine } from '../../machines/connection.machine.ts';
import { stateString } from '../../src/runtime/runtime-events.ts';

const restart = { initial_delay: 1000, max_delay: 90000, backoff_factor: 2, jitter: 0.1, max_attempts: 2 };
const service = { id: 'app:x', start_timeout: 10000, stop_timeout: 10000, restart };

/** Applies `events` from `state` (a state path like `running.connected`) and returns the resulting state path. */
function step(machine: AnyStateMachine, input: unknown, from: string, events: readonly { type: string; [k: string]: unknown }[], context: Record<string, unknown> = {}): string {
  const [initial] = initialTransition(machine, input);
  const value = from.includes('.') ? { [from.split('.')[0]!]: from.split('.')[1]! } : from;
  let snapshot = machine.resolveState({ value, context: { ...initial.context, ...context } });
  for (const event of events) [snapshot] = transition(machine, snapshot, event);
  return stateString(snapshot.value);
}

const done = (id: string) => ({ type: `xstate.done.actor.${id}` });
const error = (id: string) => ({ type: `xstate.error.actor.${id}`, error: new Error('boom') });

describe('consumer machine', () => {
  const input = { ...service, concurrency: 2 };
  type Ev = { type: string; [k: string]: unknown } | ((s: any) => { type: string; [k: string]: unknown });
  /** The invoked (non-worker) child of a consumer snapshot. */
  const invoked = (s: any) => Object.keys(s.children).find((k) => !k.startsWith('worker'))!;
  const ok: Ev = (s) => done(invoked(s));
  const fail: Ev = (s) => error(invoked(s));
  const start: Ev = { type: 'consumer.start' };
  const stop: Ev = { type: 'consumer.stop' };
  const broken: Ev = { type: 'consumer.fail', error: new Error('x') };
  /** The restart backoff elapsing (XState's event for the `restartDelay` timer). */
  const retry: Ev = { type: 'xstate.after.restartDelay.consumer.restarting' };
  /** Runs events from the initial state (workers are spawned there, so paths start at the beginning). */
  const run = (events: Ev[], restartPolicy = restart) => {
    let [s] = initialTransition(consumerMachine, { ...input, restart: restartPolicy });
    for (const e of events) [s] = transition(consumerMachine, s, (typeof e === 'function' ? e(s) : e) as never);
    return s;
  };
  const cases: [string, Ev[], string, typeof restart?][] = [
    ['start', [start], 'starting'],
    ['stop before start', [stop], 'stopped'],
    ['started', [start, ok], 'running'],
    ['stop while running', [start, ok, stop], 'draining'],
    ['drained', [start, ok, stop, ok], 'stopped'],
    ['drain error still stops', [start, ok, stop, fail], 'stopped'],
    ['stop while starting', [start, stop], 'draining'],
    ['subscription broke', [start, ok, broken], 'restarting'],
    ['subscription broke, restart then start fails with attempts used up', [start, ok, broken, retry, fail], 'failed', { ...restart, max_attempts: 1 }],
    ['start failed', [start, fail], 'restarting'],
    // max_attempts counts restarts: with 1, the first failure restarts and the second is final.
    ['start failed, restart allowed', [start, fail], 'restarting', { ...restart, max_attempts: 1 }],
    ['start failed twice, attempts used up', [start, fail, retry, fail], 'failed', { ...restart, max_attempts: 1 }],
    ['start again after stop', [start, ok, stop, ok, start], 'starting'],
    ['stop while restarting drains the broken subscription first', [start, fail, stop], 'draining'],
    ['stop while restarting, drained', [start, fail, stop, ok], 'stopped'],
    ['start after failed', [start, fail, retry, fail, start], 'starting', { ...restart, max_attempts: 1 }],
    ['stop after failed drains', [start, fail, retry, fail, stop], 'draining', { ...restart, max_attempts: 1 }],
    ['start while running is ignored', [start, ok, start], 'running'],
    ['start while draining is ignored', [start, ok, stop, start], 'draining'],
  ];
  it.each(cases)('%s', (_name, events, expected, policy) => {
    expect(stateString(run(events, policy).value)).toBe(expected);
  });

  it('records the failure and counts attempts', () => {
    const s = run([start, fail]);
    expect(s.context.attempts).toBe(1);
    expect(s.context.error).toBe('boom');
    expect(stateString(run([start, fail, start]).value)).toBe('restarting');
  });

  it('spawns one worker per unit of concurrency', () => {
    const [s] = initialTransition(consumerMachine, input);
    expect(Object.keys(s.children).sort()).toEqual(['worker-0', 'worker-1']);
  });
});

describe('driver machine', () => {
  const cases: [string, { type: string; [k: string]: unknown }[], string][] = [
    ['idle', [{ type: 'driver.start' }], 'starting'],
    ['running.connected', [{ type: 'driver.reconnecting', attempt: 1 }], 'running.reconnecting'],
    ['running.reconnecting', [{ type: 'driver.reconnecting', attempt: 2 }], 'running.reconnecting'],
    ['running.reconnecting', [{ type: 'driver.connected' }], 'running.connected'],
    ['running.reconnecting', [{ type: 'driver.stop' }], 'draining'],
    ['running.connected', [{ type: 'driver.failed', error: 'x' }], 'restarting'],
    ['running.connected', [{ type: 'driver.stop' }], 'draining'],
    ['stopped', [{ type: 'driver.start' }], 'starting'],
    ['restarting', [{ type: 'driver.stop' }], 'draining'],
    ['failed', [{ type: 'driver.stop' }], 'draining'],
    ['starting', [{ type: 'driver.stop' }], 'draining'],
    ['failed', [{ type: 'driver.start' }], 'starting'],
  ];
  it.each(cases)('%s + %j -> %s', (from, events, expected) => {
    expect(step(driverMachine, service, from, events)).toBe(expected);
  });
});

describe('queue machine', () => {
  const cases: [string, { type: string }[], string][] = [
    ['idle', [{ type: 'queue.start' }], 'starting'],
    ['idle', [{ type: 'queue.stop' }], 'stopped'],
    ['running', [{ type: 'queue.stop' }], 'draining'],
    ['stopped', [{ type: 'queue.start' }], 'starting'],
    ['failed', [{ type: 'queue.start' }], 'starting'],
    ['starting', [{ type: 'queue.stop' }], 'stopped'],
    ['failed', [{ type: 'queue.stop' }], 'stopped'],
  ];
  it.each(cases)('%s + %j -> %s', (from, events, expected) => {
    expect(step(queueMachine, { id: 'app:q', driver: 'app:d', start_timeout: 10000, stop_timeout: 10000 }, from, events)).toBe(expected);
  });
});

describe('worker machine', () => {
  const cases: [string, { type: string }[], string][] = [
    ['idle', [{ type: 'worker.start' }], 'running'],
    ['running', [{ type: 'worker.drain' }], 'draining'],
    ['draining', [{ type: 'worker.stop' }], 'stopped'],
    ['running', [{ type: 'worker.stop' }], 'stopped'],
    ['stopped', [{ type: 'worker.start' }], 'running'],
  ];
  it.each(cases)('%s + %j -> %s', (from, events, expected) => {
    expect(step(workerMachine, { consumerId: 'app:c', index: 0 }, from, events)).toBe(expected);
  });
});

describe('runtime machine', () => {
  const cases: [string, { type: string }[], string][] = [
    ['idle', [{ type: 'runtime.load' }], 'loading'],
    ['idle', [{ type: 'runtime.start' }], 'idle'],
    ['idle', [{ type: 'runtime.stop' }], 'idle'],
    ['loading', [{ type: 'runtime.stop' }], 'loading'],
    ['loaded', [{ type: 'runtime.start' }], 'starting.prepare'],
    // With no children a stop has nothing to walk: straight through stopping.
    ['running', [{ type: 'runtime.stop' }], 'stopped'],
    ['loaded', [{ type: 'runtime.stop' }], 'stopped'],
    ['stopped', [{ type: 'runtime.start' }], 'starting.prepare'],
    ['failed', [{ type: 'runtime.stop' }], 'stopped'],
    ['loadFailed', [{ type: 'runtime.load' }], 'loading'],
    ['loadFailed', [{ type: 'runtime.start' }], 'loadFailed'],
  ];
  it.each(cases)('%s + %j -> %s', (from, events, expected) => {
    expect(step(runtimeMachine, undefined, from, events)).toBe(expected);
  });
});

describe('connection machine', () => {
  const cases: [string, { type: string; [k: string]: unknown }[], string, Record<string, unknown>?][] = [
    ['idle', [{ type: 'connection.open' }], 'connecting'],
    ['connected', [{ type: 'connection.lost' }], 'reconnecting'],
    ['connected', [{ type: 'connection.close' }], 'closing'],
    ['reconnecting', [{ type: 'connection.close' }], 'closing'],
    ['closed', [{ type: 'connection.open' }], 'connecting'],
    ['failed', [{ type: 'connection.open' }], 'connecting'],
  ];
  it.each(cases)('%s + %j -> %s', (from, events, expected, context) => {
    expect(step(connectionMachine, undefined, from, events, context)).toBe(expected);
  });

  it('a first connect that fails ends in failed; a lost connection retries', () => {
    const [initial] = initialTransition(connectionMachine);
    let [s] = transition(connectionMachine, initial, { type: 'connection.open' });
    const connector = Object.keys(s.children)[0]!;
    const [failed] = transition(connectionMachine, s, error(connector) as never);
    expect(failed.value).toBe('failed');
    s = connectionMachine.resolveState({ value: 'connecting', context: { ...s.context, everConnected: true } });
    [s] = transition(connectionMachine, s, { type: 'connection.open' });
    expect(s.value).toBe('connecting');
  });
});
