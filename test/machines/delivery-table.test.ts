import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { deliveryMachine } from '../../machines/delivery.machine.ts';
import { DELIVERY_EVENT_COUNT, DELIVERY_STATE_NAMES, DeliveryEventId, DeliveryState, NO_TRANSITION, SETTLE_TABLE, SettleAction, nextDeliveryState } from '../../src/consumer/delivery-table.ts';

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
      // No state has a self-transition, so "stayed put" means "no transition".
      const expected = next.value === stateName ? NO_TRANSITION : DeliveryState[next.value as keyof typeof DeliveryState];
      expect(nextDeliveryState(DeliveryState[stateName as keyof typeof DeliveryState], DeliveryEventId[eventType]), `${stateName} + ${eventType}`).toBe(expected);
    }
  });

  it('names the settle of every transition as the machine does', () => {
    for (const stateName of DELIVERY_STATE_NAMES) {
      const node = deliveryMachine.root.states[stateName]!;
      for (const eventType of EVENTS) {
        const t = node.transitions.get(eventType)?.[0];
        const named = (t?.actions ?? []).map((a) => (typeof a === 'string' ? a : (a as { type: string }).type)).find((n) => n in SettleAction);
        const cell = DeliveryState[stateName as keyof typeof DeliveryState] * DELIVERY_EVENT_COUNT + DeliveryEventId[eventType];
        expect(SETTLE_TABLE[cell], `${stateName} + ${eventType}`).toBe(named ? SettleAction[named as keyof typeof SettleAction] : SettleAction.none);
      }
    }
  });

  it('acks on return, nacks on failure and timeout, releases at shutdown, only from processing', () => {
    const { processing, done, timedOut, released } = DeliveryState;
    const at = (state: number, event: keyof typeof DeliveryEventId) => state * DELIVERY_EVENT_COUNT + DeliveryEventId[event];
    expect([nextDeliveryState(processing, DeliveryEventId['message.return']), SETTLE_TABLE[at(processing, 'message.return')]]).toEqual([done, SettleAction.settleAck]);
    expect([nextDeliveryState(processing, DeliveryEventId['message.fail']), SETTLE_TABLE[at(processing, 'message.fail')]]).toEqual([done, SettleAction.settleNack]);
    expect([nextDeliveryState(processing, DeliveryEventId['message.timeout']), SETTLE_TABLE[at(processing, 'message.timeout')]]).toEqual([timedOut, SettleAction.settleNack]);
    expect([nextDeliveryState(processing, DeliveryEventId['message.release']), SETTLE_TABLE[at(processing, 'message.release')]]).toEqual([released, SettleAction.settleRelease]);
    // A late result after a timeout or a release changes nothing.
    for (const over of [timedOut, released]) for (const e of ['message.return', 'message.fail'] as const) expect(nextDeliveryState(over, DeliveryEventId[e])).toBe(NO_TRANSITION);
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
