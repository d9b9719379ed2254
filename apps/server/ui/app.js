// The fedmcp dashboard: plain DOM and fetch against the admin API (/admin/v1), no framework and
// nothing loaded from elsewhere. The admin key lives in sessionStorage and goes out as a bearer.
// Relative to the page (`<hub>/ui/`): a hub served under a path prefix keeps it.
const API = new URL('../admin/v1', location.href).pathname;
const KEY = 'fedmcp.adminKey';
const $ = (selector) => document.querySelector(selector);
const SVG = 'http://www.w3.org/2000/svg';

/** An element with attributes and children (text is always set as text, never as HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) element.append(child ?? '');
  return element;
}

const badge = (value) => h('span', { class: `badge ${value}` }, value);
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

async function api(method, path, body) {
  const key = sessionStorage.getItem(KEY);
  if (!key) throw new Error('Logged out.');
  const response = await fetch(API + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401 || response.status === 403) {
    const problem = await response.json().catch(() => ({}));
    // The first refusal logs out and says why; requests already under way say nothing more.
    if (sessionStorage.getItem(KEY) === key) logout(problem.detail ?? 'Refused.');
    throw new Error(problem.detail);
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw Object.assign(new Error(problem.detail ?? `${method} ${path}: ${response.status}`), {
      status: response.status,
    });
  }
  return response.status === 204 ? undefined : response.json();
}

function fill(selector, rows) {
  const body = $(`${selector} tbody`);
  body.replaceChildren(
    ...(rows.length ? rows : [h('tr', {}, h('td', { class: 'muted', colspan: '7' }, 'none'))]),
  );
}

function act(label, run) {
  return h(
    'button',
    {
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          await run();
          say(`${label}: done`);
        } catch (error) {
          say(`${label}: ${error.message}`);
        }
        await refresh();
      },
    },
    label,
  );
}

const say = (text) => {
  $('#status').textContent = text;
};

async function loadUpstreams() {
  const { upstreams } = await api('GET', '/upstreams');
  fill(
    '#upstreams',
    upstreams.map((up) =>
      h(
        'tr',
        { 'data-upstream': up.id },
        h('td', {}, up.id, h('div', { class: 'muted' }, up.url ?? up.command ?? '')),
        h('td', {}, badge(up.state), up.error ? h('div', { class: 'muted' }, up.error) : ''),
        h('td', {}, up.state === 'down' ? badge('open') : 'closed'),
        h('td', {}, String(up.tools)),
        h('td', {}, String(up.connections)),
        h(
          'td',
          {},
          act('Restart', () => api('POST', `/upstreams/${encodeURIComponent(up.id)}/restart`)),
        ),
      ),
    ),
  );
}

async function loadTools() {
  const { tools } = await api('GET', '/tools');
  fill(
    '#tools',
    tools.map((tool) =>
      h(
        'tr',
        { 'data-tool': tool.name },
        h('td', {}, tool.name, tool.reason ? h('div', { class: 'muted' }, tool.reason) : ''),
        h('td', {}, tool.upstream ?? ''),
        h('td', {}, tool.origin ? [...tool.origin.hubs, tool.origin.upstreamId].join(' › ') : '—'),
        h('td', {}, badge(tool.pin)),
        h(
          'td',
          {},
          tool.pin === 'quarantined'
            ? act('Approve', () =>
                api(
                  'POST',
                  `/tools/${encodeURIComponent(tool.upstream)}/${encodeURIComponent(tool.upstreamName)}/approve`,
                ),
              )
            : '',
        ),
      ),
    ),
  );
}

async function loadSessions() {
  const listed = await api('GET', '/sessions').catch((error) => {
    if (error.status !== 404) throw error;
    return undefined;
  });
  if (!listed) {
    // A hub at the edge lists no sessions: each isolate keeps its own.
    fill('#sessions', [
      h('tr', {}, h('td', { class: 'muted', colspan: '4' }, 'not listed by this hub (edge)')),
    ]);
    return;
  }
  const { sessions } = listed;
  fill(
    '#sessions',
    sessions.map((session) =>
      h(
        'tr',
        {},
        h('td', {}, session.subject),
        h('td', {}, `${session.transport} (${session.era})`),
        h('td', {}, time(session.openedAt)),
        h(
          'td',
          {},
          act('Close', () => api('DELETE', `/sessions/${encodeURIComponent(session.id)}`)),
        ),
      ),
    ),
  );
}

async function loadConsent() {
  const { grants } = await api('GET', '/consent');
  fill(
    '#consent',
    grants.map((grant) =>
      h(
        'tr',
        { 'data-consent': grant.id },
        h('td', {}, grant.subject),
        h('td', {}, grant.target),
        h('td', {}, badge(grant.decision === 'allow' ? 'allowed' : 'denied')),
        h('td', {}, grant.scope + (grant.expiresAt ? ` until ${time(grant.expiresAt)}` : '')),
        h(
          'td',
          {},
          act('Revoke', () => api('DELETE', `/consent/${encodeURIComponent(grant.id)}`)),
        ),
      ),
    ),
  );
}

async function loadPeers() {
  const { peers } = await api('GET', '/peers');
  fill(
    '#peers',
    peers.map((peer) =>
      h(
        'tr',
        {},
        h('td', {}, peer.id),
        h('td', {}, peer.url),
        h('td', {}, peer.import ? badge(peer.state ?? 'connecting') : 'calls in only'),
      ),
    ),
  );
}

/** The federated health graph: hubs (purple) with their upstreams, laid out as a tree. */
async function loadGraph() {
  const status = await api('GET', '/status?depth=2');
  const nodes = [];
  const edges = [];
  let leaves = 0;
  const place = (label, kind, depth, children) => {
    const placed = children.map((child) => child());
    if (placed.length === 0) leaves += 1;
    const y = placed.length
      ? placed.reduce((sum, child) => sum + child.y, 0) / placed.length
      : leaves;
    const node = { label, kind, depth, y };
    nodes.push(node);
    for (const child of placed) edges.push([node, child]);
    return node;
  };
  const hubNode = (hub, depth) => () =>
    place(
      hub.hub.id,
      'hub',
      depth,
      hub.upstreams.map((up) => () => {
        const report = up.peer;
        if (up.kind === 'peer' && report?.reachable === true)
          return hubNode(report.status, depth + 1)();
        const state = up.kind === 'peer' && report?.reachable === false ? 'unreachable' : up.state;
        return place(`${up.id} (${up.tools})`, state, depth + 1, []);
      }),
    );
  hubNode(status, 0)();
  const svg = $('#graph');
  const width = svg.clientWidth || 800;
  const height = Math.max(90, leaves * 34 + 30);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('height', String(height));
  const depthMax = Math.max(...nodes.map((node) => node.depth), 1);
  const x = (node) => 60 + (node.depth * (width - 160)) / depthMax;
  const y = (node) => (node.y - 0.5) * 34 + 28;
  const make = (tag, attributes, text) => {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    if (text) element.textContent = text;
    return element;
  };
  svg.replaceChildren(
    ...edges.map(([from, to]) => make('line', { x1: x(from), y1: y(from), x2: x(to), y2: y(to) })),
    ...nodes.flatMap((node) => [
      make('circle', {
        cx: x(node),
        cy: y(node),
        r: node.kind === 'hub' ? 11 : 8,
        class: `n-${node.kind}`,
      }),
      make('text', { x: x(node), y: y(node) - 13 }, node.label),
    ]),
  );
}

async function searchAudit(form) {
  const query = new URLSearchParams({ newest: 'true', limit: '50' });
  for (const [name, value] of new FormData(form)) if (value) query.set(name, value);
  const { events } = await api('GET', `/audit?${query}`);
  fill(
    '#audit',
    events.map(({ event }) =>
      h(
        'tr',
        {},
        h('td', {}, time(event.time)),
        h('td', {}, event.type),
        h('td', {}, event.principal?.subject ?? ''),
        h('td', {}, event.action ?? ''),
        h('td', {}, event.target ?? ''),
        h('td', {}, badge(event.outcome)),
        h('td', {}, event.reason ?? ''),
      ),
    ),
  );
}

/** The live call log: Server-Sent Events read with fetch (EventSource cannot send the key). */
async function followCalls(signal) {
  const response = await fetch(`${API}/calls/stream`, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` },
    signal,
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (data) addCall(JSON.parse(data.slice(6)));
    }
  }
}

function addCall(event) {
  const body = $('#calls tbody');
  if (body.querySelector('td[colspan]')) body.replaceChildren();
  body.prepend(
    h(
      'tr',
      { class: 'new', 'data-call': event.target ?? '' },
      h('td', {}, time(event.time)),
      h('td', {}, event.principal?.subject ?? ''),
      h('td', {}, event.target ?? ''),
      h('td', {}, badge(event.outcome)),
      h('td', {}, event.latencyMs === undefined ? '' : String(Math.round(event.latencyMs))),
    ),
  );
  while (body.children.length > 50) body.lastChild.remove();
}

/** The replicas on the shared store (heartbeat leases); a hub on its own store is one replica. */
async function loadReplicas() {
  const { replicaId, replicas } = await api('GET', '/replicas');
  $('#replicas').textContent =
    replicas.length === 0
      ? 'single replica'
      : `replica ${replicaId} of ${replicas.length}: ${replicas
          .map(
            (replica) =>
              `${replica.id} (${replica.upstreams.filter((upstream) => upstream.state === 'ready').length}/${replica.upstreams.length} upstreams ready)`,
          )
          .join(', ')}`;
}

async function refresh() {
  const results = await Promise.allSettled([
    loadReplicas(),
    loadUpstreams(),
    loadTools(),
    loadSessions(),
    loadConsent(),
    loadPeers(),
    loadGraph(),
  ]);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) say(failed.reason.message);
}

let stop;
function logout(reason = '') {
  sessionStorage.removeItem(KEY);
  stop?.abort();
  clearInterval(stop?.timer);
  $('#app').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = reason;
}

async function start() {
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;
  fill('#calls', []);
  // One request first: a key without the admin scope is refused once, with the reason.
  const status = await api('GET', '/status?depth=0');
  await refresh();
  $('#hub-name').textContent = `${status.hub.name} · ${status.hub.id} · ${status.hub.version}`;
  await searchAudit($('#audit-search'));
  stop = new AbortController();
  stop.timer = setInterval(refresh, 3000);
  followCalls(stop.signal).catch(() => {});
  document.body.dataset.ready = 'true';
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $('#key').value.trim());
  start().catch((error) => say(error.message));
});
$('#logout').addEventListener('click', () => logout());
$('#audit-search').addEventListener('submit', (event) => {
  event.preventDefault();
  searchAudit(event.target).catch((error) => say(error.message));
});
if (sessionStorage.getItem(KEY)) start().catch((error) => say(error.message));
else logout();
