/**
 * The upstreams of a hub, by id, in registration order. Other modules ask it; only the hub's
 * registry API (`hub.upstreams`) adds and removes.
 */
import { isValidNamespacePrefix } from '@fedmcp/protocol';
import { hubError } from '../errors.js';
import { Upstream, type UpstreamHost } from '../upstream.js';
import type { UpstreamOptions, UpstreamSpec } from '../upstream-options.js';

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Whether `id` is a valid upstream or hub id (`[a-z0-9][a-z0-9-]{0,31}`). */
export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** The registered upstreams; see the file comment. */
export class UpstreamSet {
  readonly #upstreams = new Map<string, Upstream>();

  constructor(private readonly failureMode: 'open' | 'closed') {}

  /**
   * Creates and registers an upstream (not connected yet).
   * @throws FedmcpError INVALID_CONFIG for a malformed or duplicate id or a malformed prefix.
   */
  register(id: string, spec: UpstreamSpec, options: UpstreamOptions, host: UpstreamHost): Upstream {
    if (!isValidId(id)) {
      throw hubError(
        'INVALID_CONFIG',
        `Invalid upstream id "${id}": use 1-32 of a-z, 0-9 and -, starting with a letter or digit.`,
      );
    }
    if (this.#upstreams.has(id)) {
      throw hubError('INVALID_CONFIG', `Upstream "${id}" is already registered.`);
    }
    const prefix = options.prefix;
    if (prefix !== undefined && prefix !== false && !isValidNamespacePrefix(prefix)) {
      throw hubError(
        'INVALID_CONFIG',
        `Invalid prefix "${prefix}" of upstream "${id}": use 1-32 of a-z, 0-9 and -, or false for none.`,
      );
    }
    const upstream = new Upstream(id, spec, options, host);
    this.#upstreams.set(id, upstream);
    return upstream;
  }

  /** Unregisters an upstream (the caller closes it). */
  delete(id: string): Upstream | undefined {
    const upstream = this.#upstreams.get(id);
    this.#upstreams.delete(id);
    return upstream;
  }

  get(id: string): Upstream | undefined {
    return this.#upstreams.get(id);
  }

  ids(): string[] {
    return [...this.#upstreams.keys()];
  }

  /** Upstreams in registration order. */
  list(): Upstream[] {
    return [...this.#upstreams.values()];
  }

  /** The upstream whose prefix `name` carries (`<prefix>__…`), if any. */
  byNamePrefix(name: string, separator: string): Upstream | undefined {
    for (const upstream of this.#upstreams.values()) {
      if (upstream.prefix !== false && name.startsWith(`${upstream.prefix}${separator}`)) {
        return upstream;
      }
    }
    return undefined;
  }

  /** In `failureMode: 'closed'`, refuses requests while a closed-mode upstream is down. */
  assertOpen(): void {
    for (const upstream of this.#upstreams.values()) {
      const mode = upstream.options.failureMode ?? this.failureMode;
      if (mode === 'closed' && !upstream.available) throw upstream.unavailable();
    }
  }
}
