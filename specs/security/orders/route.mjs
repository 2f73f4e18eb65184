// Runs as svc:router: the policies let it write the audit trail.
export default async function route(order, ctx) {
  await ctx.publish('app.orders:audit', { order: order.id, by: ctx.actor.id })
}
