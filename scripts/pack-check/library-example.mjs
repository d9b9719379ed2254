// A hub with one upstream and a peer, from the published packages only (scripts/pack-install-check.mjs).
import { createHubServer } from '@fedmcp/federation/node';

const upstreams = { served: { url: process.argv[2] } }; // any MCP server: here `npx fedmcp serve`
const b = await createHubServer({ hubId: 'b', upstreams });
await b.listen();
const a = await createHubServer({ hubId: 'a', upstreams, peers: { b: { url: b.url } } });
await a.listen();
await b.setPeers({ a: { url: a.url, import: false } }); // b accepts a's peer tokens
const states = () => a.hub.upstreams.list().map(({ id, state }) => `${id}: ${state}`);
for (let i = 0; i < 150 && !states().every((s) => s.endsWith('ready')); i++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const { hub, status } = await a.status();
console.log(`hub ${hub.id} (fedmcp ${hub.version}) ${status}; upstreams ${states().join(', ')}`);
await Promise.all([a.close(), b.close()]);
