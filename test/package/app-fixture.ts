/**
 * Files of the throwaway app the package test installs actorq into.
 * Everything imports `actorq` by its package name, as a user's app does.
 */

/** A memory pipeline: tasks -> Lua forward handler -> results -> a handler given in code. */
export const APP_CONFIG = `namespace: app
entries:
  - name: mem
    kind: queue.driver.memory
    lifecycle: { auto_start: true }
  - name: tasks
    kind: queue.queue
    driver: app:mem
  - name: results
    kind: queue.queue
    driver: app:mem
  - name: forwarder
    kind: queue.consumer
    queue: app:tasks
    func: app:forward
    lifecycle: { auto_start: true, depends_on: [app:tasks, app:results] }
  - name: collector
    kind: queue.consumer
    queue: app:results
    func: app:collect
    lifecycle: { auto_start: true, depends_on: [app:results] }
  - name: forward
    kind: function.lua
    source: file://forward.lua
    modules: [queue]
`;

export const APP_LUA = `local queue = require("queue")
return function(body)
    local ok, err = queue.publish("app:results", { n = body.n })
    if not ok then return nil, err end
    return true
end
`;

/** Publishes 1..3, waits for the three to come back through Lua, stops, prints one JSON line. */
export const E2E_SCRIPT = `import { createRuntime, silentLogger } from 'actorq';
import * as testing from 'actorq/testing';

const collected = [];
let allIn;
const done = new Promise((resolve) => (allIn = resolve));
const runtime = createRuntime({
  files: ['config'],
  logger: silentLogger,
  functions: {
    'app:collect': (body) => {
      collected.push(body.n);
      if (collected.length === 3) allIn();
    },
  },
});
await runtime.start();
await runtime.publishBatch('app:tasks', [{ n: 1 }, { n: 2 }, { n: 3 }]);
await done;
await runtime.stop();
collected.sort((a, b) => a - b);
console.log(JSON.stringify({ collected, state: String(runtime.root.getSnapshot().value), testing: Object.keys(testing) }));
`;

export const REQUIRE_SCRIPT = `const actorq = require('actorq');
console.log(typeof actorq.createRuntime);
`;

/** A small app using the public types the way the docs do. */
export const TS_APP = `import {
  ConfigError,
  createRuntime,
  parseConfigText,
  streamLogger,
  type Handler,
  type PublishCallOptions,
  type Runtime,
  type RuntimeMetrics,
} from 'actorq';
import { until } from 'actorq/testing';

const handle: Handler = async (body: { n: number }, ctx) => {
  ctx.logger.info('got', { n: body.n });
  return { doubled: body.n * 2 };
};

export async function main(): Promise<number> {
  const registry = parseConfigText('namespace: app\\nentries: []\\n', '<inline>');
  const runtime: Runtime = createRuntime({ registry, functions: { 'app:collect': handle }, logger: streamLogger('warn') });
  const options: PublishCallOptions = { headers: { tenant: 'a' }, delay: '1s' };
  try {
    await runtime.start();
    await runtime.publish('app:tasks', { n: 1 }, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.length;
    throw error;
  }
  const reading: RuntimeMetrics = await runtime.metrics();
  // The types are actorq's own, resolved through its .d.ts files: wrong uses are errors.
  // @ts-expect-error: queue IDs are strings
  await runtime.publish(42, {});
  // @ts-expect-error: an index may be out of range (noUncheckedIndexedAccess)
  void reading.consumers[0].acked;
  const first = reading.consumers[0];
  await runtime.stop();
  await until(() => reading.at > 0);
  return first?.acked ?? 0;
}
`;

export const TS_CONFIG = JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    },
    files: ['typed.ts'],
  },
  null,
  2,
);

/** A consumer whose handler is TypeScript, in an app without tsx. */
export const TS_HANDLER_CONFIG = `namespace: t
entries:
  - name: mem
    kind: queue.driver.memory
    lifecycle: { auto_start: true }
  - name: q
    kind: queue.queue
    driver: t:mem
  - name: c
    kind: queue.consumer
    queue: t:q
    func: t:h
    lifecycle: { auto_start: true }
  - name: h
    kind: function.js
    source: file://handler.ts
`;
