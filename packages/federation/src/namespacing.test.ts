import { describe, expect, it } from 'vitest';
import {
  exposeUri,
  exposeUriTemplate,
  mapUiMeta,
  uiResourceUriOf,
  unexposeUri,
} from './namespacing.js';

describe('exposeUri for MCP Apps UI resources', () => {
  it('keeps the ui:// scheme and puts the prefix first', () => {
    expect(exposeUri('app', 'ui://get-time/mcp-app.html')).toBe('ui://app/get-time/mcp-app.html');
    expect(unexposeUri('app', 'ui://app/get-time/mcp-app.html')).toBe('ui://get-time/mcp-app.html');
    expect(unexposeUri('other', 'ui://app/get-time/mcp-app.html')).toBeUndefined();
    expect(exposeUriTemplate('app', 'ui://widgets/{id}')).toBe('ui://app/widgets/{id}');
  });

  it('stacks through a peer hop and maps back one hop at a time', () => {
    const atB = exposeUri('app', 'ui://get-time/mcp-app.html');
    const atA = exposeUri('b', atB);
    expect(atA).toBe('ui://b/app/get-time/mcp-app.html');
    expect(unexposeUri('b', atA)).toBe(atB);
  });

  it('leaves other schemes to the fedmcp:// form and prefix false unchanged', () => {
    expect(exposeUri('app', 'file:///a.txt')).toBe('fedmcp://app/file:///a.txt');
    expect(exposeUri(false, 'ui://get-time/mcp-app.html')).toBe('ui://get-time/mcp-app.html');
  });
});

describe('mapUiMeta', () => {
  it('maps ui.resourceUri and the legacy ui/resourceUri, keeping the rest of ui unchanged', () => {
    const meta = {
      ui: {
        resourceUri: 'ui://get-time/mcp-app.html',
        csp: { connectDomains: ['https://api.example.com'] },
        permissions: { camera: {} },
        domain: 'https://app.example.com',
        visibility: ['model', 'app'],
      },
      'ui/resourceUri': 'ui://get-time/mcp-app.html',
      other: 1,
    };
    const mapped = mapUiMeta(meta, (uri) => exposeUri('app', uri));
    expect(mapped).toEqual({
      ...meta,
      ui: { ...meta.ui, resourceUri: 'ui://app/get-time/mcp-app.html' },
      'ui/resourceUri': 'ui://app/get-time/mcp-app.html',
    });
    expect(meta.ui.resourceUri).toBe('ui://get-time/mcp-app.html');
    expect(uiResourceUriOf(mapped)).toBe('ui://app/get-time/mcp-app.html');
  });

  it('returns the same object when there is no UI resource', () => {
    const meta = { ui: { csp: {} }, other: 1 };
    expect(mapUiMeta(meta, () => 'x')).toBe(meta);
    expect(uiResourceUriOf(meta)).toBeUndefined();
  });
});
