import type { DriverKind, FunctionKind, KindCatalog } from './kind-descriptors.ts';
import { memoryDriverKind } from '../drivers/memory/memory-kind.ts';
import { amqpDriverKind } from '../drivers/amqp/amqp-kind.ts';
import { redisDriverKind } from '../drivers/redis/redis-kind.ts';
import { natsDriverKind } from '../drivers/nats/nats-kind.ts';
import { sqsDriverKind } from '../drivers/sqs/sqs-kind.ts';
import { jsFunctionKind } from '../functions/js-function-kind.ts';
import { luaFunctionKind } from '../functions/lua/lua-kind.ts';

/**
 * Every kind actorq ships. Descriptors are light (schemas only); each
 * `create`/`load` imports its backend library on first use.
 */
const DRIVER_KINDS: readonly DriverKind[] = [memoryDriverKind, redisDriverKind, amqpDriverKind, natsDriverKind, sqsDriverKind];

const FUNCTION_KINDS: readonly FunctionKind[] = [jsFunctionKind, luaFunctionKind];

/** The built-in catalog, used unless a caller passes its own. */
export const builtinKinds: KindCatalog = {
  drivers: new Map(DRIVER_KINDS.map((k) => [k.kind, k])),
  functions: new Map(FUNCTION_KINDS.map((k) => [k.kind, k])),
};
