import { userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createToolPinning, type PendingChange, type PinnedKind } from '@fedmcp/federation';
import { createAuditLog, createStreamAuditSink } from '@fedmcp/proxy-auth';
import { sealConfigStore } from '@fedmcp/server';
import { createStore } from '@fedmcp/store/node';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';

const usage = `Usage:
  fedmcp tools diff [--upstream U] [--json] [--config FILE]
  fedmcp tools approve <upstream> <tool|'*'> [--prompt] [--digest sha256:…] [--config FILE]
`;

/** What {@link toolsPinningCommand} takes besides argv, for embedding and tests. */
export interface ToolsPinningCommandOptions {
  /** Where relative paths of the config start. @default process.cwd() */
  baseDirectory?: string;
  /** Recorded as the approver. @default the operating-system user name */
  approvedBy?: string;
}

function operator(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

function describeChange(change: PendingChange): string {
  return `${change.upstream} ${change.kind} ${change.name} — ${change.reason} (seen ${change.detectedAt})`;
}

function approveCommand(change: PendingChange): string {
  return `fedmcp tools approve ${change.upstream} ${change.name}${change.kind === 'prompt' ? ' --prompt' : ''}`;
}

/**
 * `fedmcp tools diff|approve`: the tool and prompt definitions a hub holds back because they
 * changed after they were pinned (or are new, with `newItems: 'hold'`), read from the store of the
 * config, and their approval. A running hub on the same store picks approvals up within its poll
 * interval.
 *
 * - `diff [--upstream U] [--json]` prints each pending change and its field diff.
 * - `approve <upstream> <name|'*'> [--prompt] [--digest D]` makes the presented definition the
 *   pin (`'*'`: every pending tool, or prompt, of the upstream; quote it in the shell). `--digest`
 *   approves only if the pending definition still has that digest (the one you reviewed).
 */
export async function toolsPinningCommand(
  argv: readonly string[],
  io: CliIo,
  options: ToolsPinningCommandOptions = {},
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'diff' && subcommand !== 'approve') {
    io.stderr(`fedmcp tools: unknown subcommand "${subcommand ?? ''}". ${usage}`);
    return 2;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    io.stderr(`fedmcp tools ${subcommand}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (subcommand === 'diff' && positionals.length > 0) {
    io.stderr(`fedmcp tools diff: unexpected argument "${positionals[0]}". ${usage}`);
    return 2;
  }
  if (subcommand === 'approve' && positionals.length !== 2) {
    io.stderr(`fedmcp tools approve: expected <upstream> and <tool|'*'>. ${usage}`);
    return 2;
  }
  const { config } = await resolveConfig(values.config);
  if (config.store === 'memory:') {
    io.stderr(
      `fedmcp tools ${subcommand}: the config uses the in-memory store, whose pins live only inside the running hub.\n`,
    );
    return 1;
  }
  const baseDirectory = options.baseDirectory ?? process.cwd();
  const dataDir = isAbsolute(config.hub.dataDir)
    ? config.hub.dataDir
    : join(baseDirectory, config.hub.dataDir);
  // Sealed like the replicas' pub/sub: running hubs hear the approval at once.
  const store = await sealConfigStore(
    await createStore(config.store ?? `sqlite:${join(dataDir, 'state.db')}`),
    config,
    { baseDirectory },
  );
  // Approvals go to the store's audit stream, next to the hub's own events (`fedmcp audit tail`).
  const audit = createAuditLog({ sinks: [createStreamAuditSink(store.streams)] });
  // The announcement on the store's pub/sub tells running hubs (every replica) at once.
  const pinning = createToolPinning({
    kv: store.kv,
    pubsub: store.pubsub,
    audit,
    pollIntervalMs: 0,
  });
  try {
    if (subcommand === 'diff') {
      const changes = await pinning.pending(values.upstream);
      if (values.json) {
        io.stdout(`${JSON.stringify(changes, null, 2)}\n`);
        return 0;
      }
      if (changes.length === 0) {
        const where = values.upstream === undefined ? '' : ` of upstream "${values.upstream}"`;
        io.stdout(`No pending tool or prompt changes${where}.\n`);
        return 0;
      }
      for (const change of changes) {
        io.stdout(`${describeChange(change)}\n`);
        io.stdout(`${await pinning.diff(change.upstream, change.kind, change.name)}`);
        io.stdout(`approve: ${approveCommand(change)}\n\n`);
      }
      io.stdout(`${changes.length} pending change${changes.length === 1 ? '' : 's'}.\n`);
      return 0;
    }
    const [upstream, name] = positionals as [string, string];
    const kind: PinnedKind = values.prompt ? 'prompt' : 'tool';
    const approvedBy = options.approvedBy ?? operator();
    const approved = await pinning.approve(upstream, kind, name, {
      ...(approvedBy === undefined ? {} : { by: approvedBy }),
      ...(values.digest === undefined ? {} : { digest: values.digest }),
    });
    if (approved.length === 0) {
      const what = name === '*' ? `${kind}s` : `${kind} "${name}"`;
      const digest = values.digest === undefined ? '' : ` with digest ${values.digest}`;
      io.stderr(
        `fedmcp tools approve: no pending change of ${what}${digest} on upstream "${upstream}". See fedmcp tools diff.\n`,
      );
      return 1;
    }
    for (const item of approved) {
      io.stdout(
        `Approved ${item.kind} ${item.name} of upstream ${item.upstream} (${item.digest}).\n`,
      );
    }
    return 0;
  } finally {
    await pinning.close();
    await store.close();
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      upstream: { type: 'string', short: 'u' },
      json: { type: 'boolean', default: false },
      prompt: { type: 'boolean', default: false },
      digest: { type: 'string' },
    },
  });
}
