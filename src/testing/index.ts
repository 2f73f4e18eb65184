/**
 * actorq/testing: what a user needs to test their own configuration and
 * handlers from the lifecycle models (model-based testing with
 * `xstate/graph`). Named exports only; anything not listed here is internal.
 *
 * Filled in step by step; see docs/testing.md.
 */
export { deliveryMachine } from '../../machines/delivery.machine.ts';
