import * as auth from '@fedmcp/proxy-auth';

const key = auth.generateApiKey(); // give it to the client once; the config keeps only its hash
const entry = { hash: await auth.hashApiKey(key), subject: 'ci', groups: ['dev'] };
const apiKeys = auth.createApiKeyAuthenticator({ keys: [entry] });
const policy = auth.createPolicy([
  { effect: 'allow', subjects: ['group:dev'], actions: ['tools/*'], targets: ['github__*'] },
  { id: 'no-deletes', effect: 'deny', subjects: ['*'], actions: ['*'], targets: ['*delete*'] },
]);
const request = new Request('https://hub.example.com/mcp', { headers: { 'x-api-key': key } });
const principal = await auth.authenticateRequest(request, [apiKeys]); // { subject: 'ci', … }
const call = (target: string) => policy.decide({ principal, action: 'tools/call', target });
console.log(call('github__create_issue').allowed); // true
console.log(call('github__delete_repo').reason); // Policy rule "no-deletes" denies tools/call on …
