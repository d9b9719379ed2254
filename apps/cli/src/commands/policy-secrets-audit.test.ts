import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAuditLog,
  createStreamAuditSink,
  generateApiKey,
  hashApiKey,
} from '@fedmcp/proxy-auth';
import {
  auditJournalFile,
  createFedmcpServer,
  loadConfig,
  openConfigSecrets,
} from '@fedmcp/server';
import { createStore } from '@fedmcp/store/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { auditCommand } from './audit.js';
import { secretsCommand } from './secrets.js';

let directory: string;
let configFile: string;
const apiKey = generateApiKey();

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-cli-auth-'));
  configFile = join(directory, 'fedmcp.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      hub: { dataDir: join(directory, 'data') },
      store: `sqlite:${join(directory, 'data', 'state.db')}`,
      auth: { apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'ci-bot' }] },
      policy: {
        rules: [
          {
            id: 'dev-tools',
            effect: 'allow',
            subjects: ['group:dev'],
            actions: ['tools/*'],
            targets: ['github__*'],
          },
          {
            id: 'no-deletes',
            effect: 'deny',
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['*__delete_*'],
          },
        ],
      },
    }),
  );
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('fedmcp policy check', () => {
  it('explains an allowed decision and exits 0', async () => {
    const { out, io } = captureIo();
    const code = await runCli(
      [
        'policy',
        'check',
        '--subject',
        'user:alice',
        '--subject',
        'group:dev',
        '--action',
        'tools/call',
        '--target',
        'github__create_issue',
        '--config',
        configFile,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/decision: ALLOW/);
    expect(out.stdout).toContain('"dev-tools"');
  });

  it('explains a denial with the deciding rule and exits 1', async () => {
    const { out, io } = captureIo();
    const code = await runCli(
      [
        'policy',
        'check',
        '--subject',
        'user:alice',
        '--subject',
        'group:dev',
        '--action',
        'tools/call',
        '--target',
        'github__delete_repo',
        '--config',
        configFile,
      ],
      io,
    );
    expect(code).toBe(1);
    expect(out.stdout).toMatch(/decision: DENY by rule "no-deletes"/);
  });

  it('denies by default what no rule allows', async () => {
    const { out, io } = captureIo();
    const code = await runCli(
      [
        'policy',
        'check',
        '--subject',
        'user:bob',
        '--action',
        'prompts/get',
        '--target',
        'jira__x',
        '--config',
        configFile,
      ],
      io,
    );
    expect(code).toBe(1);
    expect(out.stdout).toMatch(/decision: DENY/);
  });

  it('asks for the missing options with exit code 2', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['policy', 'check', '--action', 'tools/call'], io)).toBe(2);
    expect(out.stderr).toMatch(/--subject, --action and --target are required/);
  });
});

describe('fedmcp secrets', () => {
  it('sets, lists (names only), reads back and removes secrets in the encrypted file', async () => {
    const value = 'ghp_cli-secret-value-9f8e7d';
    const set = captureIo();
    expect(
      await runCli(
        ['secrets', 'set', 'GITHUB_TOKEN', '--value', value, '--config', configFile],
        set.io,
      ),
    ).toBe(0);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config reference it prints
    expect(set.out.stdout).toContain('${secret:GITHUB_TOKEN}');
    expect(set.out.stdout).not.toContain(value);

    const fromStdin = captureIo();
    expect(
      await secretsCommand(['set', 'OTHER', '--config', configFile], fromStdin.io, {
        readStdin: async () => 'from-stdin-value\n',
      }),
    ).toBe(0);

    const list = captureIo();
    expect(await runCli(['secrets', 'list', '--config', configFile], list.io)).toBe(0);
    expect(list.out.stdout).toBe('GITHUB_TOKEN\nOTHER\n');

    const keyFile = join(directory, 'data', 'secret.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const onDisk = await readFile(join(directory, 'data', 'secrets.enc.json'), 'utf8');
    expect(onDisk).not.toContain(value);
    const secrets = await openConfigSecrets(await loadConfig(configFile), {
      baseDirectory: directory,
      env: {},
    });
    expect(await secrets.get('GITHUB_TOKEN')).toBe(value);
    expect(await secrets.get('OTHER')).toBe('from-stdin-value');

    const remove = captureIo();
    expect(await runCli(['secrets', 'rm', 'OTHER', '--config', configFile], remove.io)).toBe(0);
    expect(await runCli(['secrets', 'rm', 'OTHER', '--config', configFile], captureIo().io)).toBe(
      1,
    );
    expect(await secrets.list()).toEqual(['GITHUB_TOKEN']);
  });
});

describe('fedmcp audit tail', () => {
  it('prints the last audit events of the store, then follows new ones', async () => {
    const config = await loadConfig(configFile);
    {
      await using server = await createFedmcpServer({ config, baseDirectory: directory });
      const { url } = await server.listen();
      const ok = await fetch(`${url}/mcp`, { method: 'POST', headers: { 'x-api-key': apiKey } });
      await ok.body?.cancel();
      const refused = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: { 'x-api-key': 'nope' },
      });
      await refused.body?.cancel();
      expect(refused.status).toBe(401);
    }
    const tail = captureIo();
    expect(await runCli(['audit', 'tail', '--config', configFile], tail.io)).toBe(0);
    expect(tail.out.stdout).toMatch(/auth\s+success\s+ci-bot \(api-key\)\s+POST \/mcp/);
    expect(tail.out.stdout).toMatch(/auth\s+failure\s+-\s+POST \/mcp/);
    expect(tail.out.stdout).not.toContain(apiKey);

    const one = captureIo();
    expect(
      await runCli(['audit', 'tail', '--lines', '1', '--json', '--config', configFile], one.io),
    ).toBe(0);
    const lines = one.out.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ type: 'auth', outcome: 'failure' });

    const follow = captureIo();
    let stop: () => void = () => {};
    const stopSignal = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const following = auditCommand(
      ['tail', '--follow', '--lines', '1', '--config', configFile],
      follow.io,
      {
        stopSignal,
        pollIntervalMs: 50,
      },
    );
    const store = await createStore(config.store ?? '');
    try {
      const audit = createAuditLog({ sinks: [createStreamAuditSink(store.streams)] });
      const until = async (text: string) => {
        while (!follow.out.stdout.includes(text)) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      // The first event may land before or after the initial read (--lines 1 prints it either
      // way); once it is printed, the initial read is over, so the second can only be followed.
      await audit.record({
        type: 'call',
        outcome: 'success',
        action: 'tools/call',
        target: 'marker__first',
      });
      await until('marker__first');
      await audit.record({
        type: 'policy',
        outcome: 'denied',
        action: 'tools/call',
        target: 'github__delete_repo',
        rule: 'no-deletes',
      });
      await until('github__delete_repo');
    } finally {
      stop();
      await following;
      await store.close();
    }
    expect(follow.out.stdout).toMatch(
      /policy\s+denied\s+-\s+tools\/call\s+github__delete_repo\s+rule=no-deletes/,
    );
  }, 30_000);

  it('first replays the events a hub killed before their commit left in its journal', async () => {
    const config = await loadConfig(configFile);
    // What a hub killed with SIGKILL between a call's answer and its commit leaves behind
    // (process 999999999 does not run: pids stop at 2^22).
    const journal = auditJournalFile({ directory: config.hub.dataDir, pid: 999_999_999 });
    const left = {
      time: new Date().toISOString(),
      type: 'call',
      outcome: 'success',
      action: 'tools/call',
      target: 'journal__only',
    };
    await writeFile(journal, `${JSON.stringify(left)}\n`, { mode: 0o600 });
    const tail = captureIo();
    expect(await runCli(['audit', 'tail', '--lines', '1', '--config', configFile], tail.io)).toBe(
      0,
    );
    expect(tail.out.stdout).toMatch(/call\s+success\s+-\s+tools\/call\s+journal__only/);
    expect(tail.out.stderr).toMatch(/replayed 1 audit event\(s\) a stopped hub had journaled/);
    // Once: the next tail reads it from the store, with no journal left to replay.
    const again = captureIo();
    expect(
      await runCli(['audit', 'tail', '--lines', '100', '--config', configFile], again.io),
    ).toBe(0);
    expect(again.out.stdout.match(/journal__only/g)).toHaveLength(1);
    expect(again.out.stderr).toBe('');
  });
});

describe('fedmcp auth new-key', () => {
  it('prints a new key once and the config entry holding only its hash', async () => {
    const { out, io } = captureIo();
    expect(
      await runCli(['auth', 'new-key', '--subject', 'ci', '--group', 'dev', '--json'], io),
    ).toBe(0);
    const { key, entry } = JSON.parse(out.stdout) as {
      key: string;
      entry: Record<string, unknown>;
    };
    expect(key).toMatch(/^fmk_[A-Za-z0-9_-]{43}$/);
    expect(entry).toEqual({ hash: await hashApiKey(key), subject: 'ci', groups: ['dev'] });
  });
});
