// @fedmcp/edge-providers: deployment to Cloudflare Workers, Supabase Edge Functions, Fly.io and local processes. Its public API lands with the issue that builds it.
export {};
