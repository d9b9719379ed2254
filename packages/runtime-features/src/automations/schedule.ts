/** Schedules of automations: cron expressions (UTC) read by croner, one timer at a time. */
import { Cron } from 'croner';

/**
 * Validates a cron expression (5 or 6 fields, or a croner nickname such as `@hourly`).
 * @throws Error naming the expression when croner cannot read it.
 */
export function checkCron(expression: string): void {
  try {
    new Cron(expression, { timezone: 'Etc/UTC', paused: true }).stop();
  } catch (error) {
    throw new Error(`"${expression}" is not a cron expression: ${(error as Error).message}`);
  }
}

/**
 * Calls `onTick` with each scheduled time from now on (a tick missed while the hub was down is
 * not replayed). Returns the function that stops it.
 */
export function startSchedule(
  expression: string,
  onTick: (tick: Date) => Promise<void>,
): () => void {
  const job = new Cron(expression, { timezone: 'Etc/UTC', protect: true }, async (self: Cron) => {
    const tick = self.currentRun() ?? new Date();
    await onTick(tick);
  });
  return () => job.stop();
}
