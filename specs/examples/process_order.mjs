// Acks orders that have a positive amount; throws (nacks) the others, so
// after 3 attempts they move to app.orders:orders_dlq.
export async function processOrder(order, ctx) {
  if (!(typeof order.amount === 'number' && order.amount > 0)) {
    throw new Error(`order ${order.id}: amount must be a positive number`);
  }
  ctx.logger.info('order processed', { order_id: order.id });
  return { order_id: order.id };
}
