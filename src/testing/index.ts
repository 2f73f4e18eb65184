/**
 * actorq/testing: test your own configuration and handlers from the
 * lifecycle models, with `xstate/graph` (see docs/testing.md). Named
 * exports only; anything not listed here is internal.
 */

// Abstract models of every lifecycle: plain machines without invoke or
// timers, so `createTestModel(...).getShortestPaths()` and
// `getSimplePaths()` end. Written as specifications, not derived from the
// machines the runtime runs.
export { runtimeModel } from './models/runtime-model.ts';
export type { RuntimeModelEvent } from './models/runtime-model.ts';
export { driverModel } from './models/driver-model.ts';
export type { DriverModelEvent } from './models/driver-model.ts';
export { queueModel } from './models/queue-model.ts';
export type { QueueModelEvent } from './models/queue-model.ts';
export { consumerModel } from './models/consumer-model.ts';
export type { ConsumerModelEvent } from './models/consumer-model.ts';
export { workerModel } from './models/worker-model.ts';
export type { WorkerModelEvent } from './models/worker-model.ts';
export { connectionModel } from './models/connection-model.ts';
export type { ConnectionModelEvent } from './models/connection-model.ts';
export { deliveryModel } from './models/delivery-model.ts';
export type { DeliveryModelEvent } from './models/delivery-model.ts';
export { messageModel } from './models/message-model.ts';
export type { MessageModelEvent, MessageModelInput } from './models/message-model.ts';
export { stopRestartModel } from './models/stop-restart-model.ts';
export type { StopRestartModelEvent } from './models/stop-restart-model.ts';

// Paths through a model, and running one against the system under test.
export { transitionPaths, scenarioPath, runPath, modelEvents, stateMeta, eventLabel } from './paths.ts';
export type { TransitionPath, PathStep, PathRunner, PathEvents } from './paths.ts';

// A runtime over fault-injecting drivers, and what drives and observes it.
export { createTestRuntime } from './test-runtime.ts';
export type { TestRuntime, TestRuntimeOptions, Outcome } from './test-runtime.ts';
export { FaultDriver, NO_FAULTS } from './fault-driver.ts';
export type { Faults } from './fault-driver.ts';
export { withFaultDrivers, faultDriverKind, kindsWithFaults, faultDrivers } from './fault-kinds.ts';
export { GatedHandler } from './gated-handler.ts';
export type { GatedCall } from './gated-handler.ts';
export { until } from './until.ts';

// The real machines' example inputs, for creating one of them by hand.
export { EXAMPLE_INPUTS, EXAMPLE_DRIVER_INPUT, EXAMPLE_QUEUE_INPUT, EXAMPLE_CONSUMER_INPUT, EXAMPLE_WORKER_INPUT, EXAMPLE_RESTART } from '../../machines/example-inputs.ts';
