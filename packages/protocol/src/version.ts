/**
 * The fedmcp version. Every `@fedmcp/*` package and the `fedmcp` CLI version in lockstep, so this
 * one constant names all of them.
 *
 * The value is `packages/protocol/package.json`'s version, injected as `__FEDMCP_VERSION__` where
 * the code is compiled: tsup `define` for `dist/`, vitest `define` for tests, and a preload
 * (`scripts/define-fedmcp-version.mjs`) for `pnpm fedmcp` from source. Nothing is read at runtime;
 * code run from source without any of those (e.g. plain `--import tsx`) reports `0.0.0-dev`.
 */
declare const __FEDMCP_VERSION__: string | undefined;

/** The version of the fedmcp packages, e.g. `'0.1.0'`; `'0.0.0-dev'` when run from source without injection. */
export const FEDMCP_VERSION: string =
  typeof __FEDMCP_VERSION__ === 'string' ? __FEDMCP_VERSION__ : '0.0.0-dev';
