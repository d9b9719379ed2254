import { parseArgs } from 'node:util';
import { createTaskAdmin, type TaskSummary } from '@fedmcp/federation';
import { FedmcpError } from '@fedmcp/protocol';
import { sealConfigStore } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { openConfigStore } from './audit-stream.js';
import { resolveConfig } from './resolve-config.js';

const usage = 'Usage: fedmcp tasks list | get <id> | cancel <id> [--json] [--config FILE]\n';

function formatProgress(task: TaskSummary): string {
  const progress = task.progress as { progress: number; total?: number } | undefined;
  if (!progress) return '';
  return progress.total ? `${progress.progress}/${progress.total}` : String(progress.progress);
}

/** One line per task: id, state, tool, owner, when, progress, message. */
function formatTask(task: TaskSummary): string {
  return [
    task.taskId,
    String(task.status).padEnd(9),
    task.tool,
    `owner=${task.owner}`,
    String(task.createdAt),
    formatProgress(task),
    task.statusMessage ? `— ${String(task.statusMessage)}` : '',
  ]
    .filter((field) => field !== '')
    .join('  ');
}

/**
 * `fedmcp tasks list | get <id> | cancel <id> [--json] [--config FILE]`: the hub-managed durable
 * tasks of every principal, read from the store the hub keeps them in (SQLite in its data
 * directory, or the Redis/Postgres its replicas share), so it works while the hub runs and after
 * it stopped. A cancel reaches the hub running the task, which stops the upstream call.
 */
export async function tasksCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'list' && subcommand !== 'get' && subcommand !== 'cancel') {
    io.stderr(`fedmcp tasks: unknown subcommand "${subcommand ?? ''}". ${usage}`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
    },
  });
  const taskId = positionals[0];
  if (subcommand !== 'list' && !taskId) {
    io.stderr(
      `fedmcp tasks ${subcommand}: name the task, e.g. "fedmcp tasks ${subcommand} hubtask.…". ${usage}`,
    );
    return 2;
  }
  const { config } = await resolveConfig(values.config);
  const opened = await openConfigStore(config);
  // Sealed like the replicas' pub/sub: a cancel reaches the replica running the task.
  const store = opened && (await sealConfigStore(opened, config));
  if (!store) {
    io.stderr(
      'fedmcp tasks: the config uses the in-memory store, whose tasks live only inside the running hub.\n',
    );
    return 1;
  }
  const print = (task: TaskSummary) =>
    io.stdout(`${values.json ? JSON.stringify(task) : formatTask(task)}\n`);
  try {
    const admin = createTaskAdmin(store);
    if (subcommand === 'list') {
      const tasks = await admin.list();
      if (tasks.length === 0 && !values.json) io.stdout('No tasks.\n');
      for (const task of tasks) print(task);
    } else if (subcommand === 'get') {
      print(await admin.get(taskId!));
    } else {
      print(await admin.cancel(taskId!));
    }
    return 0;
  } catch (error) {
    if (!FedmcpError.isInstance(error)) throw error;
    io.stderr(`fedmcp tasks ${subcommand}: ${error.message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
