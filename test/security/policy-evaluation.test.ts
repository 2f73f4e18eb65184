import { describe, expect, it } from 'vitest';
import { AccessGuard } from '../../src/security/access-guard.ts';
import { CompiledPolicy, matchesPattern } from '../../src/security/compiled-policy.ts';
import { PolicyScope } from '../../src/security/policy-scope.ts';
import { policyEntrySchema, type PolicyDefinition } from '../../src/security/policy-schema.ts';
import { Decision, type SecurityActor } from '../../src/security/security-actor.ts';
import { PermissionDeniedError } from '../../src/errors/permission-denied-error.ts';
import { recordingLogger } from '../support/runtime-kit.ts';

const worker: SecurityActor = { id: 'svc:router', meta: { role: 'worker', level: 3, tags: ['eu', 'blue'], team: { name: 'ops' } } };

/** A policy from the YAML shape, validated as the loader would. */
function policy(id: string, written: Record<string, unknown>): CompiledPolicy {
  const parsed = policyEntrySchema.parse({ policy: { resources: '*', effect: 'allow', ...written } });
  return new CompiledPolicy(id, parsed.policy as PolicyDefinition);
}

function guard(policies: CompiledPolicy[], actor: SecurityActor | null = worker, strict = false) {
  const logger = recordingLogger();
  const g = new AccessGuard({ actor: actor ?? undefined, scope: policies.length ? new PolicyScope(policies) : undefined, strict, logger });
  return { g, logger };
}

describe('policy evaluation', () => {
  it('allows what an allow policy matches, and nothing else (undefined is a denial)', () => {
    const { g } = guard([policy('app:pub', { actions: 'queue.publish' })]);
    expect(g.allows('queue.publish', '')).toBe(true);
    expect(g.allows('queue.info', 'app:q')).toBe(false);
  });

  it('denies by rule: a deny policy that matches refuses', () => {
    const { g } = guard([policy('app:no', { actions: '*', effect: 'deny' })]);
    expect(g.allows('queue.publish', '')).toBe(false);
    const denied = g.check('queue.publish', '');
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect(denied!.code).toBe('PERMISSION_DENIED');
    expect(denied!.message).toBe('svc:router may not queue.publish (denied by app:no)');
  });

  it('names actor, action and resource when no policy applies', () => {
    const { g } = guard([policy('app:pub', { actions: 'queue.publish' })]);
    const denied = g.check('queue.publish.queue', 'app:forbidden');
    expect(denied!.message).toBe('svc:router may not queue.publish.queue app:forbidden (no policy allows it)');
    expect(denied).toMatchObject({ actor: 'svc:router', action: 'queue.publish.queue', resource: 'app:forbidden' });
  });

  it('lets deny win over allow, whatever their order', () => {
    const allow = policy('app:all', { actions: '*' });
    const deny = policy('app:no_forbidden', { actions: 'queue.publish.queue', resources: 'app:forbidden', effect: 'deny' });
    for (const order of [[allow, deny], [deny, allow]]) {
      const { g } = guard(order);
      expect(g.allows('queue.publish.queue', 'app:forbidden')).toBe(false);
      expect(g.allows('queue.publish.queue', 'app:orders')).toBe(true);
    }
  });

  it('matches wildcards in actions and resources as Wippy does', () => {
    expect(matchesPattern('*', 'anything')).toBe(true);
    expect(matchesPattern('queue.*', 'queue.publish.queue')).toBe(true);
    expect(matchesPattern('queue.*', 'queue')).toBe(true);
    expect(matchesPattern('queue.*', 'queues')).toBe(true);
    expect(matchesPattern('queue.*', 'que')).toBe(false);
    expect(matchesPattern('queue.publish', 'queue.publish.queue')).toBe(false);
    expect(matchesPattern('app:orders*', 'app:orders_eu')).toBe(true);
    expect(matchesPattern('app:orders*', 'app:order')).toBe(false);
    expect(matchesPattern('a*b', 'a*b')).toBe(true);
    expect(matchesPattern('a*b', 'axb')).toBe(false);
    const { g } = guard([policy('app:p', { actions: ['queue.publish*', 'queue.info'], resources: ['', 'app:orders*'] })]);
    expect(g.allows('queue.publish', '')).toBe(true);
    expect(g.allows('queue.publish.queue', 'app:orders_eu')).toBe(true);
    expect(g.allows('queue.info', 'app:orders')).toBe(true);
    expect(g.allows('queue.publish.queue', 'app:payments')).toBe(false);
    expect(g.allows('queue.consume', 'app:orders')).toBe(false);
  });

  // One row per operator: the condition, a check it holds for, one it fails for.
  const meta = (m: Record<string, unknown>) => m;
  const operatorCases: { name: string; condition: Record<string, unknown>; holds: Parameters<AccessGuard['allows']>; fails: Parameters<AccessGuard['allows']> }[] = [
    { name: 'eq', condition: { field: 'actor.meta.role', operator: 'eq', value: 'worker' }, holds: ['a', 'r'], fails: ['a', 'r'] },
    { name: 'eq (number against numeric string)', condition: { field: 'meta.n', operator: 'eq', value: 3 }, holds: ['a', 'r', meta({ n: '3' })], fails: ['a', 'r', meta({ n: '4' })] },
    { name: 'ne', condition: { field: 'resource', operator: 'ne', value: 'app:secret' }, holds: ['a', 'app:q'], fails: ['a', 'app:secret'] },
    { name: 'lt', condition: { field: 'meta.n', operator: 'lt', value: 5 }, holds: ['a', 'r', meta({ n: 4 })], fails: ['a', 'r', meta({ n: 5 })] },
    { name: 'gt', condition: { field: 'meta.n', operator: 'gt', value: 5 }, holds: ['a', 'r', meta({ n: 6 })], fails: ['a', 'r', meta({ n: 5 })] },
    { name: 'lte', condition: { field: 'meta.n', operator: 'lte', value: 5 }, holds: ['a', 'r', meta({ n: 5 })], fails: ['a', 'r', meta({ n: 6 })] },
    { name: 'gte', condition: { field: 'actor.meta.level', operator: 'gte', value: 3 }, holds: ['a', 'r'], fails: ['a', 'r'] },
    { name: 'in', condition: { field: 'action', operator: 'in', value: ['read', 'list'] }, holds: ['list', 'r'], fails: ['write', 'r'] },
    { name: 'nin', condition: { field: 'action', operator: 'nin', value: ['write'] }, holds: ['read', 'r'], fails: ['write', 'r'] },
    { name: 'exists', condition: { field: 'meta.owner', operator: 'exists', value: true }, holds: ['a', 'r', meta({ owner: 'x' })], fails: ['a', 'r', meta({})] },
    { name: 'exists false', condition: { field: 'meta.owner', operator: 'exists', value: false }, holds: ['a', 'r', meta({})], fails: ['a', 'r', meta({ owner: 'x' })] },
    { name: 'nexists', condition: { field: 'meta.owner', operator: 'nexists' }, holds: ['a', 'r', meta({ other: 1 })], fails: ['a', 'r', meta({ owner: 'x' })] },
    { name: 'contains (text)', condition: { field: 'resource', operator: 'contains', value: 'orders' }, holds: ['a', 'app:orders_eu'], fails: ['a', 'app:payments'] },
    { name: 'contains (list)', condition: { field: 'meta.tags', operator: 'contains', value: 'eu' }, holds: ['a', 'r', meta({ tags: ['us', 'eu'] })], fails: ['a', 'r', meta({ tags: ['us'] })] },
    { name: 'ncontains', condition: { field: 'resource', operator: 'ncontains', value: 'secret' }, holds: ['a', 'app:q'], fails: ['a', 'app:secret_q'] },
    { name: 'matches', condition: { field: 'resource', operator: 'matches', value: '^app:' }, holds: ['a', 'app:q'], fails: ['a', 'other:q'] },
    { name: 'nmatches', condition: { field: 'resource', operator: 'nmatches', value: '^app:' }, holds: ['a', 'other:q'], fails: ['a', 'app:q'] },
  ];

  it.each(operatorCases)('condition operator $name', ({ name, condition, holds, fails }) => {
    const applies = policy('app:p', { actions: '*', conditions: [condition] });
    // eq on actor.meta and gte on actor.meta: the failing case is another actor.
    const other: SecurityActor = { id: 'svc:other', meta: { role: 'guest', level: 1 } };
    const failing = name === 'eq' || name === 'gte' ? guard([applies], other).g : guard([applies]).g;
    expect(guard([applies]).g.allows(...holds)).toBe(true);
    expect(failing.allows(...fails)).toBe(false);
  });

  it('fails every operator but exists/nexists on an absent field, negations included', () => {
    for (const operator of ['eq', 'ne', 'in', 'nin', 'contains', 'ncontains', 'lt', 'matches', 'nmatches']) {
      const value = operator === 'in' || operator === 'nin' ? ['x'] : operator === 'lt' ? 1 : 'x';
      const { g } = guard([policy('app:p', { actions: '*', conditions: [{ field: 'meta.missing', operator, value }] })]);
      expect(g.allows('a', 'r', {}), operator).toBe(false);
    }
  });

  it('reads nested meta and requires every condition to hold', () => {
    const p = policy('app:p', {
      actions: '*',
      conditions: [
        { field: 'actor.meta.team.name', operator: 'eq', value: 'ops' },
        { field: 'meta.doc.owner', operator: 'exists' },
      ],
    });
    const { g } = guard([p]);
    expect(g.allows('a', 'r', { doc: { owner: 'x' } })).toBe(true);
    expect(g.allows('a', 'r', { doc: {} })).toBe(false);
    expect(guard([p], { id: 'x', meta: { team: { name: 'dev' } } }).g.allows('a', 'r', { doc: { owner: 'x' } })).toBe(false);
  });

  it('compares with another field through value_from', () => {
    const owner = policy('app:owner', { actions: 'document.*', conditions: [{ field: 'meta.owner', operator: 'eq', value_from: 'actor.id' }] });
    const { g } = guard([owner]);
    expect(g.allows('document.read', 'doc:1', { owner: 'svc:router' })).toBe(true);
    expect(g.allows('document.read', 'doc:1', { owner: 'someone' })).toBe(false);
    const inList = policy('app:in', { actions: '*', conditions: [{ field: 'resource', operator: 'in', value_from: 'actor.meta.tags' }] });
    expect(guard([inList]).g.allows('a', 'blue')).toBe(true);
    expect(guard([inList]).g.allows('a', 'red')).toBe(false);
  });

  it('evaluates a policy to undefined when its action or resource does not match', () => {
    const p = policy('app:p', { actions: 'queue.publish', resources: 'app:q' });
    const input = { actor: worker, meta: undefined };
    expect(p.evaluate({ ...input, action: 'queue.publish', resource: 'app:q' })).toBe(Decision.allow);
    expect(p.evaluate({ ...input, action: 'queue.info', resource: 'app:q' })).toBe(Decision.undefined);
    expect(p.evaluate({ ...input, action: 'queue.publish', resource: 'app:r' })).toBe(Decision.undefined);
  });
});

describe('access guard', () => {
  it('trusts a check without actor or without scope, unless strict', () => {
    expect(guard([], null).g.allows('queue.publish', '')).toBe(true);
    expect(guard([], worker).g.allows('queue.publish', '')).toBe(true);
    expect(guard([], null, true).g.check('queue.publish', '')!.message).toBe('code without an actor may not queue.publish (strict mode: no actor)');
    expect(guard([], worker, true).g.check('queue.publish.queue', 'app:q')!.message).toBe('svc:router may not queue.publish.queue app:q (strict mode: no policies)');
  });

  it('caches decisions per action and resource: one evaluation, logged at debug once', () => {
    let evaluations = 0;
    const p = policy('app:p', { actions: 'queue.*' });
    const counting = Object.assign(Object.create(p) as CompiledPolicy, {
      evaluate: (...args: Parameters<CompiledPolicy['evaluate']>) => {
        evaluations++;
        return p.evaluate(...args);
      },
      id: p.id,
    });
    const { g, logger } = guard([counting]);
    for (let i = 0; i < 100; i++) expect(g.checkPublish('app:q')).toBeUndefined();
    // queue.publish on "" and queue.publish.queue on app:q: two evaluations in all.
    expect(evaluations).toBe(2);
    expect(logger.records.filter((r) => r.message === 'security decision')).toHaveLength(2);
    for (let i = 0; i < 10; i++) g.allows('queue.info', 'app:q');
    expect(evaluations).toBe(3);
    // With per-check metadata nothing is cached (conditions may read it).
    g.allows('queue.info', 'app:q', { x: 1 });
    g.allows('queue.info', 'app:q', { x: 1 });
    expect(evaluations).toBe(5);
  });

  it('counts and logs each refusal at warn, with names only', () => {
    const { g, logger } = guard([policy('app:p', { actions: 'queue.publish' })]);
    expect(g.checkPublish('app:forbidden')).toBeInstanceOf(PermissionDeniedError);
    expect(g.checkPublish('app:forbidden')).toBeInstanceOf(PermissionDeniedError);
    expect(g.denials).toBe(2);
    const warns = logger.records.filter((r) => r.level === 'warn');
    expect(warns).toHaveLength(2);
    expect(warns[0]!.fields).toEqual({ actor: 'svc:router', action: 'queue.publish.queue', resource: 'app:forbidden', reason: 'no policy allows it' });
    // A question is not a refusal.
    expect(g.allows('queue.publish.queue', 'app:forbidden')).toBe(false);
    expect(g.denials).toBe(2);
  });

  it('checks queue.publish on "" before queue.publish.queue, as Wippy', () => {
    const { g } = guard([policy('app:q', { actions: 'queue.publish.queue' })]);
    expect(g.checkPublish('app:q')).toMatchObject({ action: 'queue.publish', resource: '' });
  });
});
