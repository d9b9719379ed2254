// @fedmcp/edge-providers/node: contract fakes of the Cloudflare, Supabase and Fly.io APIs on
// 127.0.0.1, for testing deploys without an account. Each checks every request against the
// platform's documented API and answers 400 naming what is wrong.
export {
  type CloudflareFake,
  type CloudflareFakeOptions,
  startCloudflareFake,
} from './cloudflare-fake.js';
export type { FakeServer } from './fake-server.js';
export { type FlyFake, type FlyFakeOptions, startFlyFake } from './fly-fake.js';
export { type SupabaseFake, type SupabaseFakeOptions, startSupabaseFake } from './supabase-fake.js';
