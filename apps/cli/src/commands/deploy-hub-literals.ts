/**
 * Credentials written literally in the config, found before `fedmcp deploy` bakes the config into
 * the hub bundle: uploaded code is not a secret store (it shows in the platform's dashboard and in
 * every copy of the bundle). A credential is a string under a key that names one (`token`,
 * `secret`, `password`, `authorization`, `apiKey`, …, as the hub's log redaction knows them) or
 * the password of a URL; it is fine when it is a `${NAME}` / `${secret:NAME}` reference, which
 * the deploy uploads as a secret.
 */
import { SECRET_KEY_PATTERN } from '@fedmcp/proxy-auth';
import { CliUsageError } from './connect-target.js';

const REFERENCE = /\$\{(?:secret:)?[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:/i;

// Where a key of the bundled definition is in the config file.
const CONFIG_PATHS: Record<string, string> = {
  upstreams: 'mcpServers',
  upstreamAuth: 'mcpServers',
  tasks: 'hub.tasks',
  front: 'hub',
};

function configPath(path: readonly string[]): string {
  const [first, ...rest] = path;
  const head = (first !== undefined && CONFIG_PATHS[first]) || first;
  return [head, ...rest].join('.');
}

// Keys that name a credential's kind, not one (`oauth.tokenEndpointAuthMethod`: "client_secret_basic").
const NOT_CREDENTIALS = new Set(['tokenEndpointAuthMethod']);

/** Whether the string `value` at key `key` is a credential written literally. */
function isLiteralCredential(key: string, value: string): boolean {
  if (REFERENCE.test(value) || value === '' || NOT_CREDENTIALS.has(key)) return false;
  if (URL_LIKE.test(value) && URL.canParse(value)) return new URL(value).password !== '';
  return SECRET_KEY_PATTERN.test(key);
}

/** The config paths of the literal credentials in `definition`, in order. */
export function findLiteralCredentials(definition: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown, path: string[]) => {
    if (typeof node === 'string') {
      if (isLiteralCredential(path.at(-1) ?? '', node)) found.push(configPath(path));
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => {
        visit(item, [...path.slice(0, -1), `${path.at(-1) ?? ''}[${index}]`]);
      });
    } else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) visit(item, [...path, key]);
    }
  };
  // An array item's path ends with its key and index ("tokens[0]"), which the key check still reads.
  visit(definition, []);
  return found;
}

/**
 * Refuses to bundle the literal credentials of `definition` unless `allow` is set.
 *
 * @throws {CliUsageError} naming each key and saying how to write it instead.
 */
export function refuseLiteralCredentials(definition: unknown, allow: boolean): void {
  if (allow) return;
  const found = findLiteralCredentials(definition);
  if (found.length === 0) return;
  throw new CliUsageError(
    `the config writes ${found.length === 1 ? 'a credential' : 'credentials'} literally at ${found.join(', ')}: ` +
      'deploying would put it in the uploaded code. Store it with `fedmcp secrets set NAME` and write ' +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's reference syntax
      '"${secret:NAME}" there (or "${NAME}" for an environment variable): the deploy uploads it as a ' +
      'secret. To bundle it as written anyway, pass --allow-literal-secrets.',
  );
}
