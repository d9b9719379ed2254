/**
 * `cluster`: what the replicas of one hub share to serve each other's 2025-era sessions (README
 * "Run several replicas" → "Sessions across replicas"). The secret seals the session ids
 * (`createClusterSessions` of `@fedmcp/transports`); it may come from the config (`${ENV}` or
 * `${secret:NAME}`) or, with no `cluster` section, from the `FEDMCP_CLUSTER_SECRET` environment
 * variable. Without a secret a hub keeps its sessions in its own memory (random ids). The secrets
 * are resolved at start-up by `resolve-cluster-config.ts`.
 */
import { z } from 'zod';

/** As `MIN_CLUSTER_SECRET_LENGTH` of `@fedmcp/transports`, which checks it again. */
const MIN_CLUSTER_SECRET_LENGTH = 32;

const secretExpected = `expected the shared cluster secret: at least ${MIN_CLUSTER_SECRET_LENGTH} characters, the same on every replica — write "\${FEDMCP_CLUSTER_SECRET}" or "\${secret:cluster}", not the secret itself`;

/** `cluster`. */
export const clusterSection = z
  .object({
    /** Seals the session ids; every replica must have the same. */
    secret: z.string({ error: secretExpected }).min(1, { error: secretExpected }),
    /** Secrets used before a rotation: session ids sealed under them still open. @default [] */
    previousSecrets: z
      .array(z.string({ error: secretExpected }).min(1, { error: secretExpected }))
      .optional(),
    /** Lifetime of a 2025-era session from its `initialize`, in ms. @default 86400000 (24 h) */
    sessionTtlMs: z
      .number({ error: 'expected a number of milliseconds (session lifetime)' })
      .int({ error: 'expected a whole number of milliseconds' })
      .positive({ error: 'expected a positive number of milliseconds' })
      .optional(),
  })
  .strict();

/** The `cluster` section as parsed. */
export type ClusterConfig = z.infer<typeof clusterSection>;
