import { createRuntimeServer } from '@fedmcp/runtime-features';
import { createMemoryStore } from '@fedmcp/store';

const runtime = createRuntimeServer({
  store: createMemoryStore(),
  webhooks: [{ name: 'ci', scheme: 'bearer', secret: 'a-long-shared-secret' }],
});
await runtime.start();
const headers = { authorization: 'Bearer a-long-shared-secret', 'webhook-id': 'build-42' };
const body = JSON.stringify({ type: 'build.finished', status: 'green' });
const request = () => new Request('http://hub/hooks/ci', { method: 'POST', headers, body });
const deliver = async () => (await runtime.handleWebhook('ci', request())).status;
console.log(await deliver(), await deliver()); // 202 200: the sender's retry is a duplicate
const [entry] = await runtime.inbox.list('ci');
console.log(entry?.event.type, entry?.event.body); // build.finished { type: 'build.finished', status: 'green' }
