// `fedmcp dev`: the hub of a config file bundled and run in workerd (Miniflare) and in Deno on
// 127.0.0.1; an SDK client calls a tool of server-everything through it, lists and reads its
// resources and prompts; the runtime stops when the command is told to (SIGINT in a terminal),
// and an elicitation of server-everything reaches the client through it (in workerd the hub runs
// in a Durable Object, where the paused call resumes in the request that answers it). It is the hub `fedmcp deploy` uploads: a config with
// consent, a pinned tool that changed, a policy rate limit, tasks, CORS, the Host check and PRM
// passes the deployed hub's checks (test/hub-checks.ts), its `${NAME}` reference given to the
// runtime from the environment; a `${secret:NAME}` from the secrets file (and a missing one
// named). A stdio upstream is refused naming its entry.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import {
  checkConsentAndPinning,
  checkFrontDoor,
  writeConfig as writeFrontConfig,
  writePins,
} from '../../test/hub-checks.js';
import { runCli } from '../run-cli.js';
import { devCommand } from './dev.js';

let everything: Everything;
const directory = mkdtempSync(join(tmpdir(), 'fedmcp-dev-test-'));

beforeAll(async () => {
  everything = await startEverything();
}, 60_000);

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await everything?.[Symbol.asyncDispose]();
  rmSync(directory, { recursive: true, force: true });
});

/** Starts `fedmcp dev` with `args`; `stop()` ends it and resolves with its exit code. */
async function startDev(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let stop: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let ready: (url: string) => void = () => {};
  const readyUrl = new Promise<string>((resolve) => {
    ready = resolve;
  });
  const exit = devCommand(
    args,
    { stdout: (text) => out.push(text), stderr: (text) => err.push(text) },
    { stopSignal, onReady: ready },
  );
  const url = await Promise.race([
    readyUrl,
    exit.then((code) => `exited ${code}: ${err.join('')}`),
  ]);
  return {
    url,
    out,
    err,
    async stop() {
      stop();
      return exit;
    },
  };
}

function writeConfig(name: string, config: unknown): string {
  const file = join(directory, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('fedmcp dev', () => {
  it.each(['workerd', 'deno'])(
    'runs the hub in %s and serves a tool call, an elicitation, resources and prompts',
    async (runtime) => {
      const config = writeConfig(`${runtime}.json`, {
        hub: { id: 'dev-hub' },
        mcpServers: { everything: { url: everything.url } },
      });
      const out: string[] = [];
      const err: string[] = [];
      let stop: () => void = () => {};
      const stopSignal = new Promise<void>((resolve) => {
        stop = resolve;
      });
      let ready: (url: string) => void = () => {};
      const readyUrl = new Promise<string>((resolve) => {
        ready = resolve;
      });
      const exit = devCommand(
        ['--runtime', runtime, '--config', config, '--port', '0'],
        { stdout: (text) => out.push(text), stderr: (text) => err.push(text) },
        { stopSignal, onReady: ready },
      );
      const url = await Promise.race([
        readyUrl,
        exit.then((code) => `exited ${code}: ${err.join('')}`),
      ]);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(out.join('')).toContain(`the hub runs in ${runtime} at ${url}`);
      const client = new Client(
        { name: 'dev-test', version: '1.0.0' },
        { capabilities: { elicitation: { form: {} } } },
      );
      let asked = 0;
      client.setRequestHandler('elicitation/create', () => {
        asked += 1;
        return { action: 'decline' as const };
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      try {
        const result = await client.callTool({
          name: 'everything__echo',
          arguments: { message: `from ${runtime}` },
        });
        expect(result.content).toEqual([{ type: 'text', text: `Echo: from ${runtime}` }]);
        const elicited = await client.callTool({
          name: 'everything__trigger-elicitation-request',
          arguments: {},
        });
        expect(asked).toBe(1);
        expect(JSON.stringify(elicited)).toMatch(/declined/i);
        // Resources and prompts of the upstream, through the hub.
        const { resources } = await client.listResources();
        const [first] = resources;
        expect(first).toBeDefined();
        const read = await client.readResource({ uri: first?.uri ?? '' });
        expect(read.contents.length).toBeGreaterThan(0);
        const { prompts } = await client.listPrompts();
        const simple = prompts.find((prompt) => prompt.name.endsWith('simple-prompt'));
        expect(simple, JSON.stringify(prompts.map((prompt) => prompt.name))).toBeDefined();
        const prompt = await client.getPrompt({ name: simple?.name ?? '' });
        expect(prompt.messages.length).toBeGreaterThan(0);
      } finally {
        await client.close();
      }
      stop();
      expect(await exit).toBe(0);
      expect(err.join('')).toContain('fedmcp dev: stopped.');
      await expect(fetch(url)).rejects.toThrow();
    },
    120_000,
  );

  it.each(['workerd', 'deno'])(
    'runs in %s the hub fedmcp deploy builds: consent, pinning, rate limit, tasks, CORS, Host check, PRM',
    async (runtime) => {
      const folder = join(directory, `front-${runtime}`);
      mkdirSync(folder);
      await writePins(folder);
      const config = join(folder, 'fedmcp.config.json');
      await writeFrontConfig(config);
      // The config's ${EVERYTHING_URL}: from the environment, given to the runtime.
      vi.stubEnv('EVERYTHING_URL', everything.url);
      const dev = await startDev(['--runtime', runtime, '--config', config, '--port', '0']);
      try {
        expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
        expect(dev.err.join('')).toContain('giving the hub EVERYTHING_URL');
        expect(dev.err.join('')).not.toContain(everything.url);
        const base = new URL(dev.url).origin;
        await checkFrontDoor(base);
        await checkConsentAndPinning(new URL(dev.url));
      } finally {
        expect(await dev.stop()).toBe(0);
      }
    },
    120_000,
  );

  it('gives the hub a secret reference of the config from the secrets file, and says which is missing', async () => {
    const folder = join(directory, 'secret');
    mkdirSync(folder);
    const config = writeConfig('secret/fedmcp.config.json', {
      hub: { id: 'dev-secret', dataDir: join(folder, 'data') },
      mcpServers: {
        everything: {
          url: everything.url,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
          headers: { authorization: 'Bearer ${secret:DEV_TOKEN}' },
        },
      },
    });
    await expect(
      devCommand(['--runtime', 'deno', '--config', config, '--port', '0'], {
        stdout: () => {},
        stderr: () => {},
      }),
    ).rejects.toThrow('set DEV_TOKEN in the environment or with `fedmcp secrets set DEV_TOKEN`');
    const token = 'dev-token-value-never-printed';
    const { out, io } = captureIo();
    const set = await runCli(
      ['secrets', 'set', 'DEV_TOKEN', '--value', token, '--config', config],
      io,
    );
    expect(set, out.stderr).toBe(0);
    const dev = await startDev(['--runtime', 'deno', '--config', config, '--port', '0']);
    try {
      expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const client = new Client({ name: 'dev-secret', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(dev.url)));
      try {
        const result = await client.callTool({
          name: 'everything__echo',
          arguments: { message: 'x' },
        });
        expect(result.content).toEqual([{ type: 'text', text: 'Echo: x' }]);
      } finally {
        await client.close();
      }
      expect(dev.err.join('') + dev.out.join('')).not.toContain(token);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
  }, 120_000);

  it('refuses a stdio upstream, naming it', async () => {
    const config = writeConfig('stdio.json', {
      mcpServers: { local: { command: 'node', args: ['server.js'] } },
    });
    const err: string[] = [];
    const code = await devCommand(['--runtime', 'deno', '--config', config], {
      stdout: () => {},
      stderr: (text) => err.push(text),
    });
    expect(code).toBe(1);
    expect(err.join('')).toContain('mcpServers."local" is a stdio command');
  });

  it('refuses an unknown runtime', async () => {
    await expect(
      devCommand(['--runtime', 'bun'], { stdout: () => {}, stderr: () => {} }),
    ).rejects.toThrow('--runtime must be workerd or deno, got "bun"');
  });
});
