/**
 * The body rule's table, shared by the unit test and the test that runs it
 * through the runtime on every driver. `body()` builds a fresh value each
 * time (some cases are cyclic or stateful).
 */

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** A body the rule refuses, and the error text after `publish to <queue>: `. */
export interface BadBody {
  readonly name: string;
  readonly body: () => unknown;
  readonly error: string;
}

export const BAD_BODIES: readonly BadBody[] = [
  { name: 'a Date deep inside', body: () => ({ items: [1, 2, 3, { when: new Date(0) }] }), error: 'body.items[3].when: Date is not JSON data' },
  { name: 'a Map', body: () => ({ m: new Map([[1, 2]]) }), error: 'body.m: Map is not JSON data' },
  { name: 'a Set', body: () => [new Set([1])], error: 'body[0]: Set is not JSON data' },
  { name: 'a BigInt', body: () => ({ n: 5n }), error: 'body.n: BigInt is not JSON data' },
  { name: 'a BigInt body', body: () => 5n, error: 'body: BigInt is not JSON data' },
  { name: 'a nested function', body: () => ({ a: { f() {} } }), error: 'body.a.f: function is not JSON data' },
  { name: 'undefined inside an object', body: () => ({ a: 1, b: undefined }), error: 'body.b: undefined is not JSON data' },
  { name: 'undefined inside an array', body: () => [1, undefined], error: 'body[1]: undefined is not JSON data' },
  { name: 'a hole in an array', body: () => [1, , 3], error: 'body[1]: undefined is not JSON data' },
  { name: 'NaN', body: () => ({ x: NaN }), error: 'body.x: NaN is not JSON data' },
  { name: 'Infinity', body: () => [1, -Infinity], error: 'body[1]: -Infinity is not JSON data' },
  { name: 'a NaN body', body: () => NaN, error: 'body: NaN is not JSON data' },
  { name: 'a class instance', body: () => ({ p: new Point(1, 2) }), error: 'body.p: Point is not JSON data' },
  { name: 'a Buffer', body: () => ({ raw: Buffer.from('hi') }), error: 'body.raw: Buffer is not JSON data' },
  { name: 'a symbol', body: () => ({ s: Symbol('x') }), error: 'body.s: symbol is not JSON data' },
  { name: 'an odd key', body: () => ({ 'a b': { c: new Date(0) } }), error: 'body["a b"].c: Date is not JSON data' },
  {
    name: 'a circular reference',
    body: () => {
      const o: Record<string, unknown> = { a: { b: [] as unknown[] } };
      ((o['a'] as Record<string, unknown>)['b'] as unknown[]).push(o['a']);
      return o;
    },
    error: 'body.a.b[0]: circular reference to body.a',
  },
  { name: 'a top-level function', body: () => () => 1, error: 'body: function is not JSON data' },
];

/** Bodies every driver must deliver exactly as published. */
export const GOOD_BODIES: readonly { readonly name: string; readonly body: unknown }[] = [
  { name: 'an object', body: { id: 'task-1', n: 3, ok: true, none: null, nested: { list: [1, 'two', [3], {}], empty: [] } } },
  { name: 'a string', body: 'hello' },
  { name: 'an empty string', body: '' },
  { name: 'a number', body: 42.5 },
  { name: 'zero', body: 0 },
  { name: 'false', body: false },
  { name: 'an array', body: [1, null, { a: 'é😀' }] },
  { name: 'a null-prototype object', body: Object.assign(Object.create(null) as object, { a: 1 }) },
];
