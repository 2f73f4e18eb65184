import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { deliveryMachine } from '../../machines/delivery.machine.ts';
import { DELIVERY_STATE_NAMES, DeliveryEventId, DeliveryState, NO_TRANSITION, nextDeliveryState } from '../../src/consumer/delivery-table.ts';

const EVENTS = Object.keys(DeliveryEventId) as (keyof typeof DeliveryEventId)[];

describe('delivery transition table', () => {
  it('has an id for every state of the delivery machine', () => {
    expect(Object.keys(deliveryMachine.root.states).sort()).toEqual([...DELIVERY_STATE_NAMES].sort());
  });

  it.each(DELIVERY_STATE_NAMES.map((s) => [s]))('agrees with the machine for every event in state %s', (stateName) => {
    const [initial] = initialTransition(deliveryMachine);
    const from = deliveryMachine.resolveState({ value: stateName, context: initial.context });
    for (const eventType of EVENTS) {
      const [next] = transition(deliveryMachine, from, { type: eventType });
      const expected = next.value === stateName && !(stateName === 'released' && eventType === 'message.finish') ? NO_TRANSITION : DeliveryState[next.value as keyof typeof DeliveryState];
      expect(nextDeliveryState(DeliveryState[stateName as keyof typeof DeliveryState], DeliveryEventId[eventType]), `${stateName} + ${eventType}`).toBe(expected);
    }
  });

  it('encodes the settle rules the hot path relies on', () => {
    const { processing, acked, nacked, released, done, received } = DeliveryState;
    const ack = DeliveryEventId['message.ack'];
    const nack = DeliveryEventId['message.nack'];
    expect(nextDeliveryState(processing, ack)).toBe(acked);
    expect(nextDeliveryState(processing, nack)).toBe(nacked);
    for (const settled of [acked, nacked, released, done, received]) {
      expect(nextDeliveryState(settled, ack)).toBe(NO_TRANSITION);
      expect(nextDeliveryState(settled, nack)).toBe(NO_TRANSITION);
    }
  });
});
