/** How the Cloudflare fake checks a Workers script upload (multipart `metadata` + modules). */
import { ContractViolation, check, formBody } from './fake-server.js';

/** A script the fake holds. */
export interface Script {
  metadata: Record<string, unknown>;
  /** The last applied migration tag, and the Durable Object classes created so far. */
  migrationTag: string | undefined;
  classes: string[];
  modules: Record<string, { type: string; size: number }>;
  deployments: Array<{ id: string; created_on: string; versionId: string }>;
  routeEnabled: boolean;
}

const MODULE_TYPES = new Set([
  'application/javascript+module',
  'application/javascript',
  'application/wasm',
  'application/octet-stream',
  'text/plain',
  'application/source-map',
]);

const BINDING_FIELDS: Record<string, string[]> = {
  plain_text: ['text'],
  secret_text: ['text'],
  json: ['json'],
  durable_object_namespace: ['class_name'],
  kv_namespace: ['namespace_id'],
  r2_bucket: ['bucket_name'],
  service: ['service'],
};

function checkMetadata(
  metadata: Record<string, unknown>,
  parts: Map<string, string>,
  existing: Script | undefined,
): void {
  const main = metadata.main_module;
  check(typeof main === 'string', 'metadata.main_module is required (ES module Workers)');
  check(
    parts.get(main) === 'application/javascript+module',
    `metadata.main_module "${main}" must name a part of type application/javascript+module`,
  );
  check(
    /^\d{4}-\d{2}-\d{2}$/.test(String(metadata.compatibility_date)),
    'metadata.compatibility_date must be YYYY-MM-DD',
  );
  const flags = metadata.compatibility_flags;
  check(
    flags === undefined ||
      (Array.isArray(flags) && flags.every((flag) => typeof flag === 'string')),
    'metadata.compatibility_flags must be an array of strings',
  );
  const bindings = metadata.bindings ?? [];
  check(Array.isArray(bindings), 'metadata.bindings must be an array');
  const migrated = new Set<string>(existing?.classes ?? []);
  const migrations = metadata.migrations as Record<string, unknown> | undefined;
  if (migrations !== undefined) {
    check(typeof migrations.new_tag === 'string', 'metadata.migrations.new_tag must be a string');
    if (migrations.old_tag !== existing?.migrationTag) {
      throw new ContractViolation('migration tag precondition failed', 400, {
        success: false,
        errors: [
          {
            code: 10079,
            message: `migration tag precondition failed; current tag is ${existing?.migrationTag ?? 'none'}`,
          },
        ],
      });
    }
    for (const key of ['new_classes', 'new_sqlite_classes']) {
      const classes = migrations[key] ?? [];
      check(
        Array.isArray(classes) && classes.every((name) => typeof name === 'string'),
        `metadata.migrations.${key} must be an array of class names`,
      );
      for (const name of classes as string[]) migrated.add(name);
    }
  }
  for (const [index, binding] of (bindings as Array<Record<string, unknown>>).entries()) {
    check(
      typeof binding.name === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(binding.name),
      `metadata.bindings[${index}].name must be a valid identifier`,
    );
    const fields = BINDING_FIELDS[String(binding.type)];
    check(
      fields !== undefined,
      `metadata.bindings[${index}].type "${String(binding.type)}" is unknown`,
    );
    for (const field of fields)
      check(
        binding[field] !== undefined,
        `metadata.bindings[${index}] (${String(binding.type)}) needs "${field}"`,
      );
    if (binding.type === 'durable_object_namespace' && binding.script_name === undefined) {
      check(
        migrated.has(String(binding.class_name)),
        `Durable Object class ${String(binding.class_name)} needs a migration creating it (code 10074)`,
      );
    }
  }
}

/** Parses and checks an upload against the documented API; the script it makes. */
export async function uploadScript(
  request: Request,
  existing: Script | undefined,
): Promise<Pick<Script, 'metadata' | 'modules' | 'migrationTag' | 'classes'>> {
  const form = await formBody(request);
  const metadataPart = form.get('metadata');
  check(typeof metadataPart === 'string', 'the "metadata" part is required, as a plain form field');
  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse(metadataPart) as Record<string, unknown>;
  } catch {
    throw new ContractViolation('the "metadata" part is not JSON');
  }
  const modules: Script['modules'] = {};
  const types = new Map<string, string>();
  for (const [name, value] of form.entries()) {
    if (name === 'metadata') continue;
    check(typeof value !== 'string', `module part "${name}" needs a filename`);
    check(value.name === name, `module part "${name}" must carry filename="${name}"`);
    const type = value.type.split(';')[0] ?? '';
    check(MODULE_TYPES.has(type), `module part "${name}" has unknown Content-Type "${value.type}"`);
    types.set(name, type);
    modules[name] = { type, size: value.size };
  }
  checkMetadata(metadata, types, existing);
  const migrations = metadata.migrations as
    | { new_tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }
    | undefined;
  return {
    metadata,
    modules,
    migrationTag: migrations?.new_tag ?? existing?.migrationTag,
    classes: [
      ...(existing?.classes ?? []),
      ...(migrations?.new_sqlite_classes ?? []),
      ...(migrations?.new_classes ?? []),
    ],
  };
}
