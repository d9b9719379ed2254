// @fedmcp/server: composition of the packages into a running hub. Its public API lands with the issue that builds it.
export {};
