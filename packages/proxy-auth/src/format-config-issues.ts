/** Turns zod issues into `path: message` pairs rooted at a config key (`policy.rules[2].effect`). */
import { FedmcpError } from '@fedmcp/protocol';
import type { z } from 'zod';

/** One problem in a config section. */
export interface ConfigIssue {
  /** Where, e.g. `policy.rules[2].effect`. */
  path: string;
  message: string;
}

function formatPath(base: string, path: ReadonlyArray<PropertyKey>): string {
  let text = base;
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`;
  }
  return text;
}

type Issue = z.ZodError['issues'][number];

/**
 * A union's issues as those of the branch that got furthest (the deepest path): "an object or a
 * list" reports the object's bad key, not "Invalid input".
 */
function unwrapUnion(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const depth = (branch: Issue[]) => Math.max(...branch.map((inner) => inner.path.length));
  const best = issue.errors.reduce((chosen, branch) =>
    depth(branch) > depth(chosen) ? branch : chosen,
  );
  return best.flatMap((inner) => unwrapUnion({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** The issues of a zod error, with unknown keys reported at their own path. */
export function formatConfigIssues(error: z.ZodError, basePath: string): ConfigIssue[] {
  return error.issues.flatMap(unwrapUnion).flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: formatPath(basePath, [...issue.path, key]),
          message: 'unknown key (check its spelling)',
        }))
      : [{ path: formatPath(basePath, issue.path), message: issue.message }],
  );
}

/** The `INVALID_CONFIG` error for a section, listing every issue; `data.issues` holds them. */
export function invalidConfigError(section: string, issues: ConfigIssue[]): FedmcpError {
  return new FedmcpError(
    'INVALID_CONFIG',
    `Invalid ${section}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}.`,
    { data: { issues } },
  );
}
