import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsentRecord, createConsentLedger, readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { consentCommand } from './consent.js';

let directory: string;
let configFile: string;
let databaseFile: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-cli-consent-'));
  configFile = join(directory, 'fedmcp.config.json');
  databaseFile = join(directory, 'data', 'state.db');
  await writeFile(
    configFile,
    JSON.stringify({ hub: { dataDir: join(directory, 'data') }, store: `sqlite:${databaseFile}` }),
  );
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  const { out, io } = captureIo();
  const code = await consentCommand([...argv, '--config', configFile], io);
  return { code, ...out };
}

describe('fedmcp consent', () => {
  it('grants, lists and revokes consent seen by a hub ledger on the same database', async () => {
    // Stands for a running hub replica: its own connection to the same SQLite file.
    await using hubStore = await createStore(`sqlite:${databaseFile}`);
    const hub = createConsentLedger({ kv: hubStore.kv });
    const call = { subject: 'alice', target: 'github__create_issue' };
    expect(await hub.check(call)).toBeUndefined();

    const granted = await run('grant', '--subject', 'alice', '--target', 'github__*', '--always');
    expect(granted.code).toBe(0);
    expect(granted.stdout).toMatch(
      /^Allowed github__\* for alice until revoked \(id [0-9a-f-]{36}\)\.\n$/,
    );
    expect((await hub.check(call))?.grantedVia).toBe('cli');

    const timed = await run(
      'grant',
      '--subject',
      '*',
      '--target',
      'jira__*',
      '--for',
      '1h',
      '--upstream',
      'jira',
    );
    expect(timed.code).toBe(0);
    expect(timed.stdout).toMatch(/^Allowed jira__\* for everyone until \d{4}-\d\d-\d\dT/);
    const jira = await hub.check({ subject: 'bob', target: 'jira__create' });
    expect(jira).toMatchObject({ scope: 'until', upstream: 'jira', grantedVia: 'cli' });
    expect(Date.parse(jira!.expiresAt!) - Date.parse(jira!.grantedAt)).toBe(3_600_000);

    const list = await run('list');
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+SUBJECT\s+TARGET\s+DECISION\s+SCOPE\s+EXPIRES\s+VIA\s+GRANTED$/,
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/alice\s+github__\*\s+allow\s+always\s+-\s+cli/);

    const json = await run('list', '--json', '--subject', 'alice');
    const records = JSON.parse(json.stdout) as ConsentRecord[];
    expect(records.map((record) => [record.subject, record.target, record.scope])).toEqual([
      ['alice', 'github__*', 'always'],
    ]);

    const revoked = await run('revoke', '--subject', 'alice');
    expect(revoked).toMatchObject({ code: 0, stdout: 'Revoked 1 consent record.\n' });
    // Takes effect on the hub's next check, with no restart.
    expect(await hub.check(call)).toBeUndefined();

    const byId = await run('revoke', '--id', jira!.id);
    expect(byId).toMatchObject({ code: 0, stdout: 'Revoked 1 consent record.\n' });
    expect(await hub.check({ subject: 'bob', target: 'jira__create' })).toBeUndefined();
    expect(await run('list')).toMatchObject({ code: 0, stdout: 'No consent records.\n' });
    const again = await run('revoke', '--id', jira!.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no consent record matched/);

    // Every change is in the audit stream `fedmcp audit tail` reads.
    const events = (await readAuditEvents(hubStore.streams)).map(({ event }) => event);
    expect(
      events
        .filter((event) => event.type === 'consent')
        .map((event) => `${event.outcome} ${event.action} ${event.target}`),
    ).toEqual([
      'granted consent/record github__*',
      'granted consent/record jira__*',
      'revoked consent/revoke github__*',
      'revoked consent/revoke jira__*',
    ]);
  });

  it('records a standing denial with --deny', async () => {
    const denied = await run(
      'grant',
      '--subject',
      'bob',
      '--target',
      'github__delete_*',
      '--always',
      '--deny',
    );
    expect(denied.code).toBe(0);
    expect(denied.stdout).toMatch(/^Denied github__delete_\* for bob until revoked/);
    await using hubStore = await createStore(`sqlite:${databaseFile}`);
    const hub = createConsentLedger({ kv: hubStore.kv });
    expect((await hub.check({ subject: 'bob', target: 'github__delete_repo' }))?.decision).toBe(
      'deny',
    );
    expect((await run('revoke', '--target', 'github__delete_*')).code).toBe(0);
  });

  it('refuses bad usage with exit code 2 and says what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['forget'], /unknown subcommand "forget"/],
      [['grant', '--target', 'x', '--always'], /--subject and --target are required/],
      [['grant', '--subject', 'a', '--target', 'x'], /exactly one of --for PERIOD .* and --always/],
      [
        ['grant', '--subject', 'a', '--target', 'x', '--for', '1h', '--always'],
        /exactly one of --for/,
      ],
      [
        ['grant', '--subject', 'a', '--target', 'x', '--for', 'soon'],
        /Invalid consent period "soon"/,
      ],
      [['grant', '--subject', 'group:*', '--target', 'x', '--always'], /exact subject or "\*"/],
      [['revoke'], /give --id ID, or --subject S and\/or --target T/],
      [['list', '--colour'], /Unknown option '--colour'/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('explains that an in-memory store has no records outside the hub', async () => {
    const memoryConfig = join(directory, 'memory.config.json');
    await writeFile(memoryConfig, JSON.stringify({ store: 'memory:' }));
    const { out, io } = captureIo();
    expect(await consentCommand(['list', '--config', memoryConfig], io)).toBe(1);
    expect(out.stderr).toMatch(/in-memory store/);
  });
});
