// The seed's task handler: returning acks the message (it is removed from
// the queue); throwing nacks it (it is requeued, or dead-lettered once the
// queue's dead_letter.max_attempts is reached).
export default async function handleTask(body, ctx) {
  // The body arrives decoded; a string body is still accepted as JSON text,
  // like the seed's json.decode(body).
  const task = typeof body === 'string' ? JSON.parse(body) : body;
  ctx.logger.info('Processing', { task_id: task.id });
  if (task.fail === true) {
    throw new Error(`task ${task.id} failed`);
  }
  return { task_id: task.id, status: 'done' };
}
