import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createResourceUriTable } from './create-resource-uri-table.js';
import { NotFoundError } from './not-found-error.js';
import {
  fromHubResourceUri,
  isHubResourceUri,
  toHubResourceUri,
  toHubResourceUriTemplate,
} from './resource-uri.js';

const upstreamId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/);
// Any well-formed string: ASCII, URI-ish, full Unicode (no lone surrogates).
const anyUri = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  fc
    .tuple(
      fc.constantFrom('file:///', 'note://', 'repo://x/', 'urn:x:'),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    )
    .map(([start, rest]) => start + rest),
);

// RFC 3986 Appendix A, URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ] (ASCII only,
// every "%" starting a %XX triplet, one "#" at most).
const RFC_3986_URI =
  /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/;

describe('toHubResourceUri / fromHubResourceUri', () => {
  it('maps a valid URI verbatim behind the upstream id', () => {
    expect(toHubResourceUri('github', 'file:///README.md')).toBe(
      'fedmcp://github/file:///README.md',
    );
    expect(toHubResourceUri('web', 'https://example.com/a?b=1#top')).toBe(
      'fedmcp://web/https://example.com/a?b=1#top',
    );
    expect(fromHubResourceUri('fedmcp://web/https://example.com/a?b=1#top')).toEqual({
      upstreamId: 'web',
      uri: 'https://example.com/a?b=1#top',
    });
  });

  it('escapes what is not a valid URI', () => {
    expect(toHubResourceUri('notes', 'note://café/my note#1#2')).toMatchInlineSnapshot(
      `"fedmcp://notes/~note://caf%C3%A9/my%20note%231%232"`,
    );
    expect(toHubResourceUri('notes', 'a%zz')).toBe('fedmcp://notes/~a%25zz');
    expect(toHubResourceUri('notes', '')).toBe('fedmcp://notes/~');
    expect(toHubResourceUri('v6', 'http://[::1]/x')).toBe('fedmcp://v6/~http://%5B::1%5D/x');
  });

  it('round-trips any string, including #, ?, percent-encoding and non-ASCII', () => {
    fc.assert(
      fc.property(upstreamId, anyUri, (id, uri) => {
        const hubUri = toHubResourceUri(id, uri);
        expect(hubUri).toMatch(RFC_3986_URI);
        expect(isHubResourceUri(hubUri)).toBe(true);
        expect(fromHubResourceUri(hubUri)).toEqual({ upstreamId: id, uri });
      }),
    );
    for (const uri of [
      'file:///a%20b.txt',
      'file:///a b.txt',
      'https://x.example/p?q=1&r=%2F#frag',
      'urn:isbn:0451450523',
      'mem://日本語/ファイル?検索=はい#節',
      'weird:%',
      'x:#a#b',
      '~already-marked',
    ]) {
      expect(fromHubResourceUri(toHubResourceUri('u', uri)).uri).toBe(uri);
    }
  });

  it('never maps URIs of different upstreams to the same hub URI', () => {
    fc.assert(
      fc.property(upstreamId, anyUri, upstreamId, anyUri, (idA, uriA, idB, uriB) => {
        fc.pre(idA !== idB || uriA !== uriB);
        expect(toHubResourceUri(idA, uriA)).not.toBe(toHubResourceUri(idB, uriB));
      }),
    );
  });

  it('round-trips through nested peers', () => {
    fc.assert(
      fc.property(upstreamId, upstreamId, anyUri, (peerId, innerId, uri) => {
        const atPeer = toHubResourceUri(innerId, uri);
        const atHub = toHubResourceUri(peerId, atPeer);
        expect(atHub).toMatch(RFC_3986_URI);
        const step = fromHubResourceUri(atHub);
        expect(step.upstreamId).toBe(peerId);
        expect(fromHubResourceUri(step.uri)).toEqual({ upstreamId: innerId, uri });
      }),
    );
    expect(toHubResourceUri('eu', toHubResourceUri('github', 'file:///a.md'))).toBe(
      'fedmcp://eu/fedmcp://github/file:///a.md',
    );
  });

  it('maps templates so that expansions map back to the upstream expansion', () => {
    const template = toHubResourceUriTemplate('github', 'repo://{owner}/{name}/contents{?ref}');
    expect(template).toBe('fedmcp://github/repo://{owner}/{name}/contents{?ref}');
    // What a client's RFC 6570 expansion of the hub template gives:
    const expanded = 'fedmcp://github/repo://octo/hello%20world/contents?ref=main';
    expect(fromHubResourceUri(expanded)).toEqual({
      upstreamId: 'github',
      uri: 'repo://octo/hello%20world/contents?ref=main',
    });
  });

  it('uses the configured scheme and rejects foreign URIs clearly', () => {
    expect(toHubResourceUri('a', 'x:y', { scheme: 'hub' })).toBe('hub://a/x:y');
    expect(fromHubResourceUri('HUB://a/x:y', { scheme: 'hub' }).uri).toBe('x:y');
    expect(() => fromHubResourceUri('file:///etc/passwd')).toThrow(NotFoundError);
    expect(() => fromHubResourceUri('fedmcp://Bad_Id/x:y')).toThrow(/not a hub resource URI/);
    expect(() => fromHubResourceUri('fedmcp://a/~%E0%A4%A')).toThrow(NotFoundError);
    expect(() => toHubResourceUri('Bad', 'x:y')).toThrow(/not a valid upstream id/);
    expect(() => toHubResourceUri('a', 'x:y', { scheme: '1x' })).toThrow(/not a URI scheme/);
    expect(() => toHubResourceUri('a', 'x:\uD800')).toThrow(/lone UTF-16 surrogate/);
  });
});

describe('createResourceUriTable', () => {
  it('maps prefixed URIs without registering them', () => {
    const resources = createResourceUriTable();
    expect(resources.decode('fedmcp://github/file:///never-listed.md')).toEqual({
      upstreamId: 'github',
      uri: 'file:///never-listed.md',
    });
  });

  it('passes URIs through unchanged with prefix: false and routes them back', () => {
    const resources = createResourceUriTable({ prefix: false });
    expect(resources.encode('docs', 'file:///guide.md')).toBe('file:///guide.md');
    expect(resources.decode('file:///guide.md')).toEqual({
      upstreamId: 'docs',
      uri: 'file:///guide.md',
    });
    // Another upstream exposing the same URI is mapped, so the two never collide.
    expect(resources.encode('backup', 'file:///guide.md')).toBe('fedmcp://backup/file:///guide.md');
    // A pass-through URI that looks like a hub URI is mapped too.
    expect(resources.encode('peer', 'fedmcp://github/x:y')).toBe(
      'fedmcp://peer/fedmcp://github/x:y',
    );
    expect(resources.encode('docs', 'file:///other.md', { prefix: true })).toBe(
      'fedmcp://docs/file:///other.md',
    );
    expect(() => resources.decode('file:///unknown.md')).toThrow(NotFoundError);
    expect(resources.lookup('file:///unknown.md')).toBeUndefined();
  });

  it('routes expansions of pass-through templates by their literal start', () => {
    const resources = createResourceUriTable({ prefix: false });
    expect(resources.encodeTemplate('docs', 'docs://{path}')).toBe('docs://{path}');
    expect(resources.encodeTemplate('api', 'docs://api/{path}')).toBe('docs://api/{path}');
    expect(resources.encodeTemplate('other', 'docs://{x}')).toBe('fedmcp://other/docs://{x}');
    expect(resources.decode('docs://guide.md').upstreamId).toBe('docs');
    expect(resources.decode('docs://api/users').upstreamId).toBe('api');
    resources.forgetUpstream('api');
    expect(resources.decode('docs://api/users').upstreamId).toBe('docs');
    resources.forgetUpstream('docs');
    expect(resources.lookup('docs://guide.md')).toBeUndefined();
  });
});
