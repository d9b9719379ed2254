// Docker cannot run on the CI machines: the repository's Dockerfile is checked by its structure,
// and against what the Fly provider tells a machine to run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLY_CONFIG_PATH, flyToml } from '../src/index.js';

const root = new URL('../../../', import.meta.url);
const text = readFileSync(new URL('Dockerfile', root), 'utf8');
// Instructions: continuation lines joined, comments dropped.
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), argument: rest.join(' ') };
  });
const stages = instructions.reduce<Array<typeof instructions>>((all, instruction) => {
  if (instruction.keyword === 'FROM') all.push([]);
  all.at(-1)?.push(instruction);
  return all;
}, []);
const last = stages.at(-1) ?? [];
const find = (keyword: string) => last.filter((instruction) => instruction.keyword === keyword);
const execForm = (keyword: string) => JSON.parse(find(keyword)[0]?.argument ?? '[]') as string[];

describe('Dockerfile', () => {
  it('builds in one stage and runs from another that copies only the build output', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]?.[0]?.argument).toMatch(/^node:20\S* AS build$/);
    expect(last[0]?.argument).toMatch(/^node:20/);
    expect(find('COPY').map((copy) => copy.argument)).toEqual([
      expect.stringMatching(/^--from=build --chown=node:node /),
    ]);
  });

  it('runs as a non-root user', () => {
    const user = find('USER').at(-1)?.argument;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('checks /healthz on the port it exposes, and serves on all interfaces', () => {
    const port = find('EXPOSE')[0]?.argument;
    expect(find('HEALTHCHECK')[0]?.argument).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(execForm('ENTRYPOINT')).toEqual(['node', '/app/dist/bin.js']);
    const command = execForm('CMD');
    expect(command.slice(0, 3)).toEqual(['serve', '--host', '0.0.0.0']);
    expect(command).toEqual(
      expect.arrayContaining(['--port', String(port), '--config', FLY_CONFIG_PATH]),
    );
  });

  it('agrees with the generated fly.toml on the internal port and the health path', () => {
    const port = find('EXPOSE')[0]?.argument;
    const toml = flyToml({ app: 'hub' });
    expect(toml).toContain(`internal_port = ${port}`);
    expect(toml).toContain('path = "/healthz"');
  });

  it('keeps installs, state and secrets out of the build context', () => {
    const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n');
    for (const entry of [
      '.git',
      '**/node_modules',
      '**/*.key',
      '**/secrets.enc.json',
      '**/.fedmcp',
      '.env',
    ]) {
      expect(ignored).toContain(entry);
    }
  });
});
