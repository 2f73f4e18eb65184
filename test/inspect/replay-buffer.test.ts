import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { ReplayBuffer } from '../../src/inspect/replay-buffer.ts';
import { createInspectionFeed } from '../../src/inspect/inspection-feed.ts';
import type { WireRecord } from '../../src/inspect/stately-wire.ts';
import { buildTree, byName } from './ws-probe.ts';

const actor = (id: string, extra = ''): WireRecord => ({ kind: 'actor', sessionId: id, json: JSON.stringify({ type: '@xstate.actor', sessionId: id, name: id, extra }) });
const snap = (id: string, value: string, status = 'active', extra = ''): WireRecord => ({ kind: 'snapshot', sessionId: id, status, json: JSON.stringify({ type: '@xstate.snapshot', sessionId: id, snapshot: { value, status }, extra }) });
const event = (id: string, n: number): WireRecord => ({ kind: 'event', sessionId: id, json: JSON.stringify({ type: '@xstate.event', sessionId: id, event: { type: `e${n}` } }) });
const parsed = (b: ReplayBuffer) => b.replay().map((j) => JSON.parse(j) as Record<string, unknown>);

describe('replay buffer', () => {
  it('keeps every registration and latest snapshot while recent events roll over', () => {
    const b = new ReplayBuffer({ maxEvents: 10 });
    for (let i = 0; i < 300; i++) b.add(actor(`a${i}`));
    for (let i = 0; i < 300; i++) b.add(snap(`a${i}`, 'running'));
    for (let i = 0; i < 1000; i++) b.add(event('a0', i));
    const out = parsed(b);
    expect(out.filter((m) => m['type'] === '@xstate.actor')).toHaveLength(300);
    expect(out.slice(0, 300).every((m) => m['type'] === '@xstate.actor')).toBe(true);
    const tree = buildTree(out);
    expect([...tree.values()].every((n) => n.value === 'running')).toBe(true);
    expect(out.filter((m) => m['type'] === '@xstate.event')).toHaveLength(10);
    expect(out.at(-1)).toMatchObject({ event: { type: 'e999' } });
  });

  it('replays each actor forward only: the latest state wins whether or not it is still in the ring', () => {
    const b = new ReplayBuffer({ maxEvents: 3 });
    b.add(actor('a'));
    b.add(actor('b'));
    b.add(snap('a', 'starting'));
    b.add(snap('a', 'running'));
    b.add(snap('b', 'starting'));
    b.add(snap('b', 'running'));
    b.add(snap('b', 'draining'));
    const tree = buildTree(parsed(b));
    expect(byName(tree, 'a')?.value).toBe('running');
    expect(byName(tree, 'b')?.value).toBe('draining');
  });

  it('bounds stopped actors by count, oldest first, and never drops live ones for them', () => {
    const b = new ReplayBuffer({ maxStoppedActors: 5 });
    b.add(actor('root'));
    for (let i = 0; i < 50; i++) {
      b.add(actor(`p${i}`));
      b.add(snap(`p${i}`, 'done', 'done'));
    }
    expect(b.actors).toBe(6);
    const names = parsed(b).filter((m) => m['type'] === '@xstate.actor').map((m) => m['name']);
    expect(names).toEqual(['root', 'p45', 'p46', 'p47', 'p48', 'p49']);
  });

  it('bounds bytes: events go first, then stopped actors, then new live actors are refused and counted', () => {
    const pad = 'x'.repeat(1000);
    const b = new ReplayBuffer({ maxBytes: 20_000 });
    b.add(actor('root'));
    for (let i = 0; i < 100; i++) b.add(event('root', i));
    for (let i = 0; i < 5; i++) {
      b.add(actor(`s${i}`, pad));
      b.add(snap(`s${i}`, 'stopped', 'stopped'));
    }
    for (let i = 0; i < 40; i++) b.add(actor(`live${i}`, pad));
    expect(b.bytes).toBeLessThanOrEqual(20_000);
    expect(b.dropped).toBeGreaterThan(0);
    const names = parsed(b).filter((m) => m['type'] === '@xstate.actor').map((m) => m['name'] as string);
    expect(names[0]).toBe('root');
    expect(names.some((n) => n.startsWith('s'))).toBe(false);
    expect(names).toContain('live0');
    expect(names).not.toContain('live39');
  });

  it('bounds actors by count, refusing new registrations when only live ones are held', () => {
    const b = new ReplayBuffer({ maxActors: 3 });
    for (const id of ['a', 'b', 'c', 'd']) b.add(actor(id));
    b.add(snap('d', 'running'));
    expect(b.actors).toBe(3);
    expect(b.dropped).toBe(1);
    expect(JSON.stringify(b.replay())).not.toContain('"d"');
  });
});

describe('inspection feed', () => {
  it('names actors by systemId, links children to parents, and redacts payloads unless asked', () => {
    const child = createMachine({ id: 'child', initial: 'idle', states: { idle: {} } });
    const parent = createMachine({ id: 'parent', initial: 'on', context: { body: { secret: 'S3CRET' } }, invoke: { src: child, systemId: 'app:child' }, states: { on: {} } });
    for (const payloads of [false, true]) {
      const feed = createInspectionFeed({ payloads });
      const seen: string[] = [];
      feed.subscribe((j) => seen.push(j));
      const a = createActor(parent, { systemId: 'app:parent', inspect: feed.inspect });
      a.start();
      feed.flush();
      const tree = buildTree(seen.map((j) => JSON.parse(j)));
      const p = [...tree.entries()].find(([, n]) => n.name === 'app:parent')!;
      expect(byName(tree, 'app:child')?.parentId).toBe(p[0]);
      expect(JSON.stringify(seen).includes('S3CRET')).toBe(payloads);
      expect(feed.replay()).toEqual(seen);
      a.stop();
    }
  });

  it('shrinks a record over maxRecordBytes instead of keeping it whole', () => {
    const feed = createInspectionFeed({ payloads: true, maxRecordBytes: 4096 });
    const big = createMachine({ id: 'big', context: { blob: 'y'.repeat(100_000) }, initial: 'a', states: { a: {} } });
    const a = createActor(big, { inspect: feed.inspect });
    a.start();
    feed.flush();
    const out = feed.replay();
    expect(out.length).toBeGreaterThan(0);
    for (const json of out) expect(Buffer.byteLength(json)).toBeLessThanOrEqual(4096);
    expect(JSON.stringify(out)).toContain('dropped: record over 4096 bytes');
    a.stop();
  });

  it('an observer failure never reaches the actor', () => {
    const feed = createInspectionFeed();
    feed.subscribe(() => {
      throw new Error('listener broke');
    });
    const a = createActor(createMachine({ initial: 'a', states: { a: { on: { go: 'b' } }, b: {} } }), { inspect: feed.inspect });
    a.start();
    a.send({ type: 'go' });
    expect(a.getSnapshot().value).toBe('b');
    expect(feed.failures).toBeGreaterThan(0);
  });
});
