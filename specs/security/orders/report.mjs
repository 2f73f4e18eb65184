// Runs as svc:reporter: it may read the audit queue's figures, and asks
// before writing to it (the policies say no; a publish would be refused
// with PermissionDeniedError and store nothing).
export default async function report(request, ctx) {
  const audit = await ctx.info('app.orders:audit')
  if (ctx.can('queue.publish.queue', 'app.orders:audit')) {
    await ctx.publish('app.orders:audit', { report: request.id, by: ctx.actor.id })
  }
  ctx.logger.info('audit figures', { report: request.id, waiting: audit.message_count })
  return audit
}
