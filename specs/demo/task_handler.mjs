// The demo's task handler. Returning acks; throwing nacks (requeue, and
// after three attempts the queue's dead_letter policy takes the message).
//   - `flaky` tasks fail on their first attempt only (a transient error);
//   - `poison` tasks always fail and end up in app.queue:failed_tasks.
export default async function handleTask(task, ctx) {
  const attempt = Number(ctx.message.header('attempts') ?? 0) + 1;
  if (task.poison) throw new Error(`task ${task.id} is malformed`);
  if (task.flaky && attempt === 1) throw new Error(`task ${task.id}: upstream timeout`);
  // Some asynchronous work, as a real handler would do I/O.
  await new Promise((resolve) => setTimeout(resolve, task.id % 3));
  return { id: task.id, status: 'done' };
}
