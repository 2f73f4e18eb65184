import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/validate-command.ts';
import type { ConsumerEntry, FunctionEntry, PolicyEntry } from '../../src/config/entry-types.ts';
import { loadConfig, parseConfigText } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { SecurityCatalog } from '../../src/security/security-catalog.ts';

const specs = fileURLToPath(new URL('../../specs/security/', import.meta.url));
const invalid = join(specs, 'invalid');

/** The ConfigError a text must fail with. */
function configError(yaml: string): ConfigError {
  try {
    parseConfigText(yaml, '<test>', { extraFunctionIds: ['app:h'] });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const base = `namespace: app
entries:
  - { name: mem, kind: queue.driver.memory }
  - { name: q, kind: queue.queue, driver: app:mem }
  - name: pub
    kind: security.policy
    policy: { actions: queue.publish, resources: "*", effect: allow }
    groups: [workers, other.ns:shared]
`;
const consumer = (security: string) => `${base}  - name: c
    kind: queue.consumer
    queue: app:q
    func: app:h
    lifecycle:
      security: ${security}
`;

describe('security configuration', () => {
  it('loads policies with lists normalised and bare group names in the policy namespace', () => {
    const registry = parseConfigText(consumer('{ actor: { id: "svc:c", meta: { role: worker } }, policies: [app:pub], groups: [app:workers, other.ns:shared] }'), '<test>', { extraFunctionIds: ['app:h'] });
    const pub = registry.entries.get('app:pub') as PolicyEntry;
    expect(pub.policy).toEqual({ actions: ['queue.publish'], resources: ['*'], effect: 'allow', conditions: [] });
    expect(pub.groups).toEqual(['app:workers', 'other.ns:shared']);
    const c = registry.entries.get('app:c') as ConsumerEntry;
    expect(c.lifecycle.security).toEqual({ actor: { id: 'svc:c', meta: { role: 'worker' } }, policies: ['app:pub'], groups: ['app:workers', 'other.ns:shared'] });
    const catalog = SecurityCatalog.fromRegistry(registry);
    expect(catalog.hasGroup('app:workers')).toBe(true);
    expect(catalog.hasGroup('app:shared')).toBe(false);
    expect(catalog.scopeOf(['app:pub'], ['app:workers'])!.policies.map((p) => p.id)).toEqual(['app:pub']);
  });

  it('rejects an unknown policy at load, naming entry and field', () => {
    const e = configError(consumer('{ actor: { id: x }, policies: [app:missing] }'));
    expect(e.issues).toEqual([expect.objectContaining({ entryId: 'app:c', field: 'lifecycle.security.policies[0]', message: 'references app:missing, which does not exist (expected a security.policy entry)' })]);
  });

  it('rejects an unknown or empty group at load; a policy group in another namespace is not found by a bare name', () => {
    const e = configError(consumer('{ actor: { id: x }, groups: [app:nobody, other.ns:workers, workers] }'));
    expect(e.issues.map((i) => [i.field, i.message])).toEqual([
      ['lifecycle.security.groups[0]', expect.stringContaining('references group app:nobody, which no security.policy entry lists')],
      ['lifecycle.security.groups[1]', expect.stringContaining('references group other.ns:workers, which no security.policy entry lists')],
      ['lifecycle.security.groups[2]', 'expected a group ID namespace:name, got "workers" (did you mean app:workers?)'],
    ]);
  });

  it('keeps a security block on function entries and checks it the same way', () => {
    const ok = parseConfigText(`${base}  - { name: f, kind: function.js, source: file://x.mjs, security: { actor: { id: "svc:f" }, groups: [app:workers] } }\n`, '<test>');
    expect((ok.entries.get('app:f') as FunctionEntry).security).toEqual({ actor: { id: 'svc:f' }, groups: ['app:workers'] });
    const e = configError(`${base}  - { name: f, kind: function.js, source: file://x.mjs, security: { policies: [app:nope], actr: {} } }\n`);
    expect(e.issues.map((i) => i.field)).toEqual(['security.actr']);
    const e2 = configError(`${base}  - { name: f, kind: function.js, source: file://x.mjs, security: { policies: [app:nope] } }\n`);
    expect(e2.issues.map((i) => [i.field, i.message])).toEqual([['security.policies[0]', expect.stringContaining('app:nope, which does not exist')]]);
  });

  it('rejects malformed conditions', () => {
    const cases: [string, string, string][] = [
      ['{ field: actor.name, operator: eq, value: x }', 'field', 'unknown condition field "actor.name"'],
      ['{ field: "meta.", operator: eq, value: x }', 'field', 'unknown condition field "meta."'],
      ['{ field: actor.id, operator: like, value: x }', 'operator', 'expected one of "eq"'],
      ['{ field: actor.id, operator: eq }', 'value', 'eq needs a value or value_from'],
      ['{ field: actor.id, operator: eq, value: [a] }', 'value', 'eq needs a string, number or boolean, got a list'],
      ['{ field: actor.id, operator: in, value: a }', 'value', 'in needs a list'],
      ['{ field: meta.n, operator: lte, value: "3" }', 'value', 'lte needs a number'],
      ['{ field: actor.id, operator: eq, value: x, value_from: resource }', 'value_from', 'not both'],
      ['{ field: actor.id, operator: eq, value_from: actor.nope }', 'value_from', 'unknown condition field "actor.nope"'],
      ['{ field: resource, operator: matches, value: "[" }', 'value', 'Invalid regular expression'],
      ['{ field: resource, operator: nmatches, value_from: actor.id }', 'value_from', 'takes its regular expression as a literal value'],
      ['{ field: meta.x, operator: nexists, value: 1 }', 'value', 'nexists takes true or false'],
      ['{ field: meta.x, operator: exists, value_from: actor.id }', 'value_from', 'exists takes no value_from'],
    ];
    for (const [condition, field, message] of cases) {
      const e = configError(`${base}  - { name: p, kind: security.policy, policy: { actions: "*", resources: "*", effect: allow, conditions: [${condition}] } }\n`);
      expect(e.issues, condition).toEqual([expect.objectContaining({ entryId: 'app:p', field: `policy.conditions[0].${field}`, message: expect.stringContaining(message) })]);
    }
  });

  it('rejects a malformed policy block', () => {
    const e = configError(`${base}  - { name: p, kind: security.policy, policy: { actions: "", resources: [], effect: permit }, groups: ["a b"] }\n`);
    expect(e.issues.map((i) => i.field)).toEqual(['policy.actions', 'policy.resources', 'policy.effect', 'groups[0]']);
  });

  // Each case is `<case>.yaml` or `<case>/`, next to `<case>.expected.txt` (lines the error must contain).
  const cases = readdirSync(invalid)
    .filter((n) => n.endsWith('.expected.txt'))
    .map((n) => {
      const name = n.slice(0, -'.expected.txt'.length);
      const target = [`${name}.yaml`, name].map((t) => join(invalid, t)).find((t) => existsSync(t))!;
      const expected = readFileSync(join(invalid, n), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
      return { name, target, expected };
    });

  it.each(cases)('actorq validate reports specs/security/invalid/$name', async ({ target, expected }) => {
    const out: string[] = [];
    const code = await validateCommand.run([target], { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(code).toBe(1);
    const text = out.join('\n');
    for (const line of expected) expect(text).toContain(line);
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('specs/security/orders loads: two consumers under different actors sharing one policy file', async () => {
    const registry = await loadConfig([join(specs, 'orders')]);
    const router = registry.entries.get('app.orders:router') as ConsumerEntry;
    const reporter = registry.entries.get('app.orders:reporter') as ConsumerEntry;
    expect(router.lifecycle.security?.actor?.id).toBe('svc:router');
    expect(reporter.lifecycle.security?.actor?.id).toBe('svc:reporter');
    expect(router.lifecycle.security?.groups).toEqual(reporter.lifecycle.security?.groups);
  });
});
