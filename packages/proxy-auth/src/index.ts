// @fedmcp/proxy-auth: authentication, policy, consent, rate limits and audit. Its public API lands with the issue that builds it.
export {};
