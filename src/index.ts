/**
 * actorq: an actor-model runtime for asynchronous message processing.
 * Named exports only; anything not listed here is internal.
 */
export { createRuntime } from './runtime/create-runtime.ts';
export type { Runtime, RuntimeOptions, ConsumerStats } from './runtime/create-runtime.ts';
export type { PublishCallOptions } from './runtime/publisher.ts';
export type { RuntimeStatusEvent } from './runtime/runtime-events.ts';
export type { Handler, HandlerContext, HandlerPublishOptions, MessageHandle, NackOptions } from './functions/handler.ts';
export { actorHandler } from './functions/actor-handler.ts';
export type { ActorHandler, FunctionValue } from './functions/actor-handler.ts';
export type { DelayValue } from './message/delay.ts';
export type { Logger, LogFields, LogLevel } from './util/logger.ts';
export { streamLogger, silentLogger } from './util/logger.ts';
export type { Message, Headers, HeaderValue } from './message/message.ts';
export type { Driver, Consumption, Delivery, QueueDeclaration, QueueInfo, ConsumeOptions, PublishOptions, DriverStatusEvent } from './drivers/driver.ts';
export type { QueueAdmin, StoredEntry, VisitOutcome, RemoveEachResult } from './drivers/queue-admin.ts';
export type { DriverKind, FunctionKind, KindCatalog, LoadedFunction, KindEnv } from './kinds/kind-descriptors.ts';
export { builtinKinds } from './kinds/builtin-kinds.ts';
export type {
  Entry,
  EntryBase,
  DriverEntry,
  QueueEntry,
  ConsumerEntry,
  FunctionEntry,
  PolicyEntry,
  LifecycleSecurity,
  Lifecycle,
  RestartPolicy,
  DeadLetterPolicy,
} from './config/entry-types.ts';
export type { Registry } from './config/registry.ts';
export { loadConfig, parseConfigText } from './config/load-config.ts';
export type { LoadConfigOptions } from './config/load-config.ts';
export { registryJsonSchema } from './config/json-schema.ts';
export type { JsonSchema, FieldNotes, RegistryJsonSchemaOptions } from './config/json-schema.ts';
export { ActorqError } from './errors/actorq-error.ts';
export type { ActorqErrorCode } from './errors/actorq-error.ts';
export { ConfigError, formatConfigIssue } from './errors/config-error.ts';
export type { ConfigIssue, ConfigLocation } from './errors/config-error.ts';
export { NotFoundError } from './errors/not-found-error.ts';
export { PermissionDeniedError } from './errors/permission-denied-error.ts';
export { InvalidMessageError, AlreadySettledError, MessageReleasedError, MessageTooLargeError } from './errors/message-errors.ts';
export { QueueFullError } from './errors/queue-full-error.ts';
export { DriverUnavailableError, PublishRejectedError, AbortedError, StartError, StopTimeoutError } from './errors/lifecycle-errors.ts';

// Security: actors, policies and groups (docs/security.md).
export type { SecurityActor } from './security/security-actor.ts';
export type { SecurityOptions, HostSecurityContext } from './security/runtime-security.ts';
export type { PolicyDefinition, PolicyCondition } from './security/policy-schema.ts';
export type { Operator as PolicyOperator } from './security/condition-operators.ts';

// Observability: inspector, diagrams, metrics, trace context.
export { sanitizingObserver, sanitizeInspectionEvent } from './inspect/sanitize-inspection.ts';
export type { SanitizeOptions } from './inspect/sanitize-inspection.ts';
export { startInspector } from './inspect/inspector-server.ts';
export { messageActivityKinds } from './inspect/message-activity.ts';
export type { MessageActivity, MessageActivityOptions, MessageActivityType } from './inspect/message-activity.ts';
export type { LocalInspector, StartInspectorOptions } from './inspect/inspector-server.ts';
export { topologyDiagram } from './inspect/topology-diagram.ts';
export { MACHINES, machineDefinition } from './inspect/machine-definitions.ts';
export { startMetricsServer } from './metrics/metrics-server.ts';
export type { MetricsServer, MetricsListen } from './metrics/metrics-server.ts';
export type { RuntimeMetrics, QueueMetrics, ConsumerMetrics, EntryStatus } from './metrics/runtime-metrics.ts';
export type { LatencyPercentiles, LatencyHistogram } from './metrics/latency-sampler.ts';
export { newTraceparent, parseTraceparent } from './tracing/traceparent.ts';
export type { TraceparentParts } from './tracing/traceparent.ts';

// Embedding in an XState app: actorq as an invoked actor, messages to the app's actors.
export { fromActorq } from './embed/from-actorq.ts';
export type { ActorqOptions, ActorqLogic } from './embed/from-actorq.ts';
export { actorqDrained } from './embed/system-drains.ts';
export type { ActorqInputEvent, ActorqOutputEvent, ActorqSnapshot, ActorqContext, ActorqEntryState, ActorqStopReport, ActorqOperation, EntryKind } from './embed/actorq-events.ts';
export { forwardTo, DEFAULT_FORWARD_TIMEOUT_MS } from './embed/forward-to.ts';
export type { ForwardedMessage, ForwardReply, ForwardToOptions } from './embed/forward-to.ts';

// The machines, for the Stately visualiser, model-based tests and apps that embed the actors.
export { runtimeMachine } from '../machines/runtime.machine.ts';
export { driverMachine } from '../machines/driver.machine.ts';
export { queueMachine } from '../machines/queue.machine.ts';
export { consumerMachine } from '../machines/consumer.machine.ts';
export { workerMachine } from '../machines/worker.machine.ts';
export { deliveryMachine } from '../machines/delivery.machine.ts';
export { connectionMachine } from '../machines/connection.machine.ts';
