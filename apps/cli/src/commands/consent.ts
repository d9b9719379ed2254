import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ConsentRecord,
  createAuditLog,
  createConsentLedger,
  createStreamAuditSink,
  parseConsentPeriod,
} from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';

const usage =
  'Usage: fedmcp consent list [--subject S] [--target T] [--json]\n' +
  '       fedmcp consent grant --subject S --target T (--for 1h | --always) [--deny] [--upstream U]\n' +
  '       fedmcp consent revoke (--id ID | --subject S [--target T] | --target T)\n' +
  '       (all take [--config FILE]; S may be "*" for everyone, T a glob such as "github__*")\n';

/** What {@link consentCommand} takes besides argv, for embedding and tests. */
export interface ConsentCommandOptions {
  /** Where relative paths of the config start. @default process.cwd() */
  baseDirectory?: string;
}

function formatRecords(records: readonly ConsentRecord[]): string {
  const rows = [
    ['ID', 'SUBJECT', 'TARGET', 'DECISION', 'SCOPE', 'EXPIRES', 'VIA', 'GRANTED'],
    ...records.map((record) => [
      record.id,
      record.subject,
      record.target + (record.argsDigest ? ' (these arguments only)' : ''),
      record.decision,
      record.scope,
      record.expiresAt ?? '-',
      record.grantedVia,
      record.grantedAt,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

function parse(rest: readonly string[]) {
  return parseArgs({
    args: [...rest],
    options: {
      config: { type: 'string', short: 'c' },
      subject: { type: 'string' },
      target: { type: 'string' },
      id: { type: 'string' },
      for: { type: 'string' },
      always: { type: 'boolean', default: false },
      deny: { type: 'boolean', default: false },
      upstream: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  }).values;
}

/**
 * `fedmcp consent list|grant|revoke`: the consent ledger in the store of the config — what the
 * hub asks before calls that policy marks `consent: required`. A grant or revocation takes effect
 * on the next call of every hub replica sharing that store, and is recorded in the audit stream.
 */
export async function consentCommand(
  argv: readonly string[],
  io: CliIo,
  options: ConsentCommandOptions = {},
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'list' && subcommand !== 'grant' && subcommand !== 'revoke') {
    io.stderr(`fedmcp consent: unknown subcommand "${subcommand ?? ''}".\n${usage}`);
    return 2;
  }
  let values: ReturnType<typeof parse>;
  try {
    values = parse(rest);
  } catch (error) {
    io.stderr(`fedmcp consent ${subcommand}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const refuse = (message: string) => {
    io.stderr(`fedmcp consent ${subcommand}: ${message}\n${usage}`);
    return 2;
  };
  let periodMs: number | undefined;
  if (subcommand === 'grant') {
    if (values.subject === undefined || values.target === undefined) {
      return refuse('--subject and --target are required.');
    }
    if ((values.for === undefined) === !values.always) {
      return refuse('give exactly one of --for PERIOD (e.g. 1h, 7d) and --always.');
    }
    if (values.for !== undefined) {
      try {
        periodMs = parseConsentPeriod(values.for);
      } catch (error) {
        return refuse((error as Error).message);
      }
    }
  }
  if (
    subcommand === 'revoke' &&
    values.id === undefined &&
    values.subject === undefined &&
    values.target === undefined
  ) {
    return refuse('give --id ID, or --subject S and/or --target T.');
  }

  const { config } = await resolveConfig(values.config);
  if (config.store === 'memory:') {
    io.stderr(
      `fedmcp consent ${subcommand}: the config uses the in-memory store, whose consent records live only inside the running hub.\n`,
    );
    return 1;
  }
  const baseDirectory = options.baseDirectory ?? process.cwd();
  const dataDir = isAbsolute(config.hub.dataDir)
    ? config.hub.dataDir
    : join(baseDirectory, config.hub.dataDir);
  const store = await createStore(config.store ?? `sqlite:${join(dataDir, 'state.db')}`);
  try {
    // The same audit stream the hub writes, so `fedmcp audit tail` shows CLI changes too.
    const audit = createAuditLog({ sinks: [createStreamAuditSink(store.streams)] });
    const ledger = createConsentLedger({ kv: store.kv, audit });
    if (subcommand === 'list') {
      const records = await ledger.list({
        ...(values.subject === undefined ? {} : { subject: values.subject }),
        ...(values.target === undefined ? {} : { target: values.target }),
      });
      if (values.json) io.stdout(`${JSON.stringify(records, null, 2)}\n`);
      else if (records.length === 0) io.stdout('No consent records.\n');
      else io.stdout(`${formatRecords(records)}\n`);
      return 0;
    }
    if (subcommand === 'grant') {
      const record = await ledger.record({
        subject: values.subject!,
        target: values.target!,
        decision: values.deny ? 'deny' : 'allow',
        scope: periodMs === undefined ? 'always' : 'until',
        ...(periodMs === undefined ? {} : { periodMs }),
        grantedVia: 'cli',
        ...(values.upstream === undefined ? {} : { upstream: values.upstream }),
      });
      const who = record.subject === '*' ? 'everyone' : record.subject;
      const until = record.expiresAt === undefined ? 'until revoked' : `until ${record.expiresAt}`;
      io.stdout(
        `${record.decision === 'allow' ? 'Allowed' : 'Denied'} ${record.target} for ${who} ${until} (id ${record.id}).\n`,
      );
      return 0;
    }
    const revoked = await ledger.revoke(
      values.id !== undefined
        ? { id: values.id }
        : {
            ...(values.subject === undefined ? {} : { subject: values.subject }),
            ...(values.target === undefined ? {} : { target: values.target }),
          },
    );
    if (revoked === 0) {
      io.stderr('fedmcp consent revoke: no consent record matched; see "fedmcp consent list".\n');
      return 1;
    }
    io.stdout(`Revoked ${revoked} consent record${revoked === 1 ? '' : 's'}.\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`fedmcp consent ${subcommand}: ${message}\n`);
    return (error as { code?: unknown }).code === 'INVALID_REQUEST' ? 2 : 1;
  } finally {
    await store.close();
  }
}
