/** The `metadata` part of a Cloudflare Workers script upload, and the module part types. */
import type { DeployPlan } from './provider.js';

/** A Durable Object class the worker exports, bound under `binding`. */
export interface DurableObjectBinding {
  /** The binding name the worker reads, e.g. `HUB_STATE`. */
  binding: string;
  /** The exported class, e.g. `HubState`. */
  className: string;
}

/** The tag of the migration that creates the hub's Durable Object classes (SQLite-backed). */
export const MIGRATION_TAG = 'fedmcp-v1';

const MODULE_TYPES: Array<[RegExp, string]> = [
  [/\.(m?js)$/, 'application/javascript+module'],
  [/\.cjs$/, 'application/javascript'],
  [/\.wasm$/, 'application/wasm'],
  [/\.map$/, 'application/source-map'],
  [/\.(txt|json|html|md)$/, 'text/plain'],
];

/** The module type Cloudflare expects as a part's Content-Type, from the file name. */
export function cloudflareModuleType(path: string): string {
  return MODULE_TYPES.find(([pattern]) => pattern.test(path))?.[1] ?? 'application/octet-stream';
}

/** What {@link workerMetadata} builds from. */
export interface WorkerMetadataInput {
  plan: DeployPlan;
  entry: string;
  durableObjects: readonly DurableObjectBinding[];
  /** The script's applied migration tag; undefined for a new script. */
  currentMigrationTag: string | undefined;
  /** @default '2025-09-01' */
  compatibilityDate?: string;
  /** @default ['nodejs_compat'] */
  compatibilityFlags?: string[];
}

/**
 * The upload's `metadata`: `main_module`, compatibility date and flags, bindings (vars and the
 * config as `plain_text`, secrets as `secret_text`, Durable Objects), and the migration creating
 * the Durable Object classes unless the script already has it (`old_tag` when it has another).
 */
export function workerMetadata(input: WorkerMetadataInput): Record<string, unknown> {
  const { plan, durableObjects, currentMigrationTag } = input;
  const bindings: Array<Record<string, string>> = [];
  for (const [name, text] of Object.entries(plan.vars ?? {})) {
    bindings.push({ name, type: 'plain_text', text });
  }
  if (plan.config !== undefined) {
    bindings.push({ name: 'FEDMCP_CONFIG', type: 'plain_text', text: plan.config });
  }
  for (const [name, text] of Object.entries(plan.secrets ?? {})) {
    bindings.push({ name, type: 'secret_text', text });
  }
  for (const object of durableObjects) {
    bindings.push({
      name: object.binding,
      type: 'durable_object_namespace',
      class_name: object.className,
    });
  }
  const migrate = durableObjects.length > 0 && currentMigrationTag !== MIGRATION_TAG;
  return {
    main_module: input.entry,
    compatibility_date: input.compatibilityDate ?? '2025-09-01',
    compatibility_flags: input.compatibilityFlags ?? ['nodejs_compat'],
    bindings,
    // Secrets set elsewhere (dashboard, API) survive a redeploy; vars are sent each time.
    keep_bindings: ['secret_text', 'secret_key'],
    ...(migrate
      ? {
          migrations: {
            ...(currentMigrationTag === undefined ? {} : { old_tag: currentMigrationTag }),
            new_tag: MIGRATION_TAG,
            new_sqlite_classes: durableObjects.map((object) => object.className),
          },
        }
      : {}),
    observability: { enabled: true },
  };
}
