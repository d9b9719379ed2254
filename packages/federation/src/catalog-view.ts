/**
 * Views: named subsets of the hub's catalog (`HubOptions.views`), served at `/mcp/<view>` by the
 * transport host. A view narrows what a session on it sees and may use — tools, prompts,
 * resources and templates — by upstream, by exposed name or URI (globs), and by tool
 * annotations; it is not authorization: the access hook still decides within the view, and a
 * view never shows what policy hides. A view may also put its tools behind tool search
 * (`exposure: 'search'`).
 */
import { hubError } from './errors.js';
import { isValidId } from './services/upstream-set.js';
import { globToRegExp } from './tool-filter.js';

/**
 * One filter of a view. Its criteria all have to match (AND); a list matches when one of its
 * globs does (OR). `upstreams` applies to every kind of item; `tools` and `annotations` apply to
 * tools, `prompts` to prompts, `resources` to resources and resource templates. An include
 * filter that names criteria of some kinds only admits items of those kinds: `{ annotations: {
 * readOnlyHint: true } }` is the read-only tools and nothing else; `{ upstreams: ['github'] }`
 * is everything of `github`.
 */
export interface CatalogViewFilter {
  /** Upstream ids (globs). */
  upstreams?: string[];
  /** Exposed (namespaced) tool names (globs: `*` any run, `?` one character), e.g. `github__*_issue`. */
  tools?: string[];
  /** Exposed prompt names (globs). */
  prompts?: string[];
  /** Exposed resource URIs and URI templates (globs). */
  resources?: string[];
  /**
   * Tool annotations that must all hold, e.g. `{ readOnlyHint: true }`. An annotation a tool does
   * not carry has its MCP default (`readOnlyHint` false, `destructiveHint` true,
   * `idempotentHint` false, `openWorldHint` true).
   */
  annotations?: Record<string, unknown>;
}

/** A view of {@link HubOptions.views}. */
export interface CatalogViewOptions {
  /** What the view holds: one filter, or several (an item matching any of them). @default everything */
  include?: CatalogViewFilter | CatalogViewFilter[];
  /** What the view leaves out, even when included: an item matching any of these. @default nothing */
  exclude?: CatalogViewFilter | CatalogViewFilter[];
  /**
   * `'search'`: the view's tools are not listed; the session gets the `find_tools` and
   * `call_tool` meta-tools instead. `'all'`: every tool of the view is listed, whatever its
   * upstream's `exposure`. @default each upstream's own `exposure`
   */
  exposure?: 'all' | 'search';
}

/** A kind of catalog item a view filters. */
export type CatalogViewKind = 'tools' | 'prompts' | 'resources' | 'templates';

/** An item as a view sees it. */
export interface CatalogViewItem {
  /** The upstream id. */
  upstream: string;
  /** The exposed name (tools, prompts) or URI (resources, templates). */
  name: string;
  /** A tool's annotations. */
  annotations?: Record<string, unknown>;
}

/** A compiled view. */
export interface CatalogView {
  readonly name: string;
  readonly exposure: 'all' | 'search' | undefined;
  /** Whether an item is in the view. */
  admits(kind: CatalogViewKind, item: CatalogViewItem): boolean;
}

/** MCP 2025-11-25 server/tools: the defaults of the tool annotation hints. */
const ANNOTATION_DEFAULTS: Record<string, unknown> = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
};

type Matcher = (kind: CatalogViewKind, item: CatalogViewItem) => boolean;

function anyGlob(globs: string[] | undefined): ((value: string) => boolean) | undefined {
  if (globs === undefined) return undefined;
  const patterns = globs.map(globToRegExp);
  return (value) => patterns.some((pattern) => pattern.test(value));
}

/**
 * One filter as a predicate: `undefined` when it says nothing about a kind of item (it names
 * criteria of other kinds only), else whether the item matches.
 */
function compileFilter(
  filter: CatalogViewFilter,
): (kind: CatalogViewKind, item: CatalogViewItem) => boolean | undefined {
  const upstreams = anyGlob(filter.upstreams);
  const tools = anyGlob(filter.tools);
  const prompts = anyGlob(filter.prompts);
  const resources = anyGlob(filter.resources);
  const annotations = filter.annotations ? Object.entries(filter.annotations) : undefined;
  const kindSpecific = Boolean(tools || prompts || resources || annotations);
  return (kind, item) => {
    if (upstreams && !upstreams(item.upstream)) return false;
    if (!kindSpecific) return true;
    if (kind === 'tools') {
      if (!tools && !annotations) return undefined;
      if (tools && !tools(item.name)) return false;
      return (annotations ?? []).every(
        ([key, value]) => (item.annotations?.[key] ?? ANNOTATION_DEFAULTS[key]) === value,
      );
    }
    const globs = kind === 'prompts' ? prompts : resources;
    return globs ? globs(item.name) : undefined;
  };
}

function list<T>(value: T | T[] | undefined): T[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

/**
 * Compiles a view.
 * @throws FedmcpError INVALID_CONFIG for a malformed name or exposure.
 */
export function compileCatalogView(name: string, options: CatalogViewOptions): CatalogView {
  if (!isValidId(name)) {
    throw hubError(
      'INVALID_CONFIG',
      `Invalid view name "${name}": use 1-32 of a-z, 0-9 and -, starting with a letter or digit (it is the path /mcp/${name}).`,
    );
  }
  if (
    options.exposure !== undefined &&
    options.exposure !== 'all' &&
    options.exposure !== 'search'
  ) {
    throw hubError('INVALID_CONFIG', `View "${name}": exposure must be "all" or "search".`);
  }
  const includes = list(options.include)?.map(compileFilter);
  const excludes = (list(options.exclude) ?? []).map(compileFilter);
  const admits: Matcher = (kind, item) =>
    (includes === undefined || includes.some((filter) => filter(kind, item) === true)) &&
    !excludes.some((filter) => filter(kind, item) === true);
  return { name, exposure: options.exposure, admits };
}
