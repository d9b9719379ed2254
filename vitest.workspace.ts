/** The vitest projects: one per package, plus the private test workspaces. */
export default ['packages/*', 'apps/*', 'test/*'];
