/**
 * The tables and functions of the postgres engine, created on first use in their own schema
 * (default `fedmcp`). Migrations are numbered and recorded in `<schema>.schema_version`; they run
 * in one transaction under an advisory lock, so replicas starting together apply each exactly
 * once, and a store that finds the schema up to date only reads the version table.
 */
import type { Sql } from 'postgres';
import { StoreError } from '../store-error.js';

/** SQLSTATE our functions raise when a consumer group does not exist. */
export const NO_GROUP_SQLSTATE = 'FM404';

/** A schema name we can embed in SQL text: lower-case letters, digits and `_`. */
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name and returns it quoted for SQL text. */
export function quoteSchema(schema: string): string {
  if (!schemaNamePattern.test(schema)) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `schema must be lower-case letters, digits and "_" (at most 63, not starting with a digit), got "${schema}".`,
    );
  }
  return `"${schema}"`;
}

/** Migration N (1-based) is `migrations[N - 1]`. Never edit a shipped one: append a new one. */
function migrations(schema: string): string[] {
  const s = quoteSchema(schema);
  return [
    `
CREATE TABLE ${s}.kv (
  key text COLLATE "C" PRIMARY KEY,
  value text NOT NULL,
  version bigint NOT NULL,
  expires_at bigint
);
CREATE INDEX kv_expires_at ON ${s}.kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE ${s}.leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  token text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE TABLE ${s}.stream_meta (
  stream text PRIMARY KEY,
  last_ms bigint NOT NULL,
  last_sequence bigint NOT NULL
);
CREATE TABLE ${s}.stream_entries (
  stream text NOT NULL,
  ms bigint NOT NULL,
  sequence bigint NOT NULL,
  data text NOT NULL,
  dead_letter text,
  PRIMARY KEY (stream, ms, sequence)
);
CREATE TABLE ${s}.stream_groups (
  stream text NOT NULL,
  name text NOT NULL,
  last_ms bigint NOT NULL,
  last_sequence bigint NOT NULL,
  PRIMARY KEY (stream, name)
);
CREATE TABLE ${s}.stream_pending (
  stream text NOT NULL,
  group_name text NOT NULL,
  ms bigint NOT NULL,
  sequence bigint NOT NULL,
  consumer text NOT NULL,
  delivery_count bigint NOT NULL,
  delivered_at bigint NOT NULL,
  PRIMARY KEY (stream, group_name, ms, sequence)
);

-- The LISTEN/NOTIFY channel of a pub/sub channel or of a stream's wake-ups: a hash, because
-- channel names are identifiers of at most 63 bytes.
CREATE FUNCTION ${s}.channel_name(kind text, name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'fedmcp_' || left(encode(sha256(convert_to('${schema}|' || kind || '|' || name, 'UTF8')), 'hex'), 48)
$$;

-- Appends one entry with the next id (<ms>-<sequence>, strictly growing even if clocks differ).
-- The stream_meta row lock is held until commit, so entries become visible in id order and a
-- consumer group's cursor never skips one. Streams with consumer groups wake blocked readers.
CREATE FUNCTION ${s}.stream_append(p_stream text, p_data text, p_dead_letter text, p_now bigint,
  OUT out_ms bigint, OUT out_sequence bigint)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ${s}.stream_meta AS meta (stream, last_ms, last_sequence) VALUES (p_stream, p_now, 0)
  ON CONFLICT (stream) DO UPDATE SET
    last_sequence = CASE WHEN p_now > meta.last_ms THEN 0 ELSE meta.last_sequence + 1 END,
    last_ms = GREATEST(meta.last_ms, p_now)
  RETURNING last_ms, last_sequence INTO out_ms, out_sequence;
  INSERT INTO ${s}.stream_entries (stream, ms, sequence, data, dead_letter)
  VALUES (p_stream, out_ms, out_sequence, p_data, p_dead_letter);
  IF EXISTS (SELECT 1 FROM ${s}.stream_groups g WHERE g.stream = p_stream) THEN
    PERFORM pg_notify(${s}.channel_name('stream', p_stream), '');
  END IF;
END
$$;

-- Compare-and-set on a locked row, so a failed attempt reports the value that made it fail.
CREATE FUNCTION ${s}.kv_compare_and_set(p_key text, p_value text, p_expected bigint,
  p_expires_at bigint, p_now bigint,
  OUT ok boolean, OUT out_value text, OUT out_version bigint, OUT out_expires_at bigint)
LANGUAGE plpgsql AS $$
DECLARE
  existing ${s}.kv%ROWTYPE;
BEGIN
  LOOP
    SELECT * INTO existing FROM ${s}.kv k WHERE k.key = p_key FOR UPDATE;
    IF FOUND AND (existing.expires_at IS NULL OR existing.expires_at > p_now) THEN
      IF existing.version = p_expected THEN
        UPDATE ${s}.kv k SET value = p_value, version = existing.version + 1, expires_at = p_expires_at
        WHERE k.key = p_key;
        SELECT true, p_value, existing.version + 1, p_expires_at
        INTO ok, out_value, out_version, out_expires_at;
      ELSE
        SELECT false, existing.value, existing.version, existing.expires_at
        INTO ok, out_value, out_version, out_expires_at;
      END IF;
      RETURN;
    END IF;
    ok := false;
    IF p_expected IS NOT NULL THEN RETURN; END IF; -- absent (or expired): no version matches
    IF FOUND THEN
      UPDATE ${s}.kv k SET value = p_value, version = 1, expires_at = p_expires_at WHERE k.key = p_key;
    ELSE
      INSERT INTO ${s}.kv (key, value, version, expires_at) VALUES (p_key, p_value, 1, p_expires_at)
      ON CONFLICT (key) DO NOTHING;
      CONTINUE WHEN NOT FOUND; -- created meanwhile by someone else: lock it and look again
    END IF;
    SELECT true, p_value, 1, p_expires_at INTO ok, out_value, out_version, out_expires_at;
    RETURN;
  END LOOP;
END
$$;

-- Delivers up to p_count entries the group has not delivered yet. The group row is locked for
-- the call, so two consumers never receive the same new entry.
CREATE FUNCTION ${s}.stream_read_group(p_stream text, p_group text, p_consumer text,
  p_count integer, p_now bigint)
RETURNS TABLE (out_ms bigint, out_sequence bigint, out_data text, out_dead_letter text)
LANGUAGE plpgsql AS $$
DECLARE
  cursor_row record;
  entry record;
BEGIN
  SELECT g.last_ms, g.last_sequence INTO cursor_row FROM ${s}.stream_groups g
  WHERE g.stream = p_stream AND g.name = p_group FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no consumer group' USING ERRCODE = '${NO_GROUP_SQLSTATE}';
  END IF;
  FOR entry IN
    SELECT e.ms, e.sequence, e.data, e.dead_letter FROM ${s}.stream_entries e
    WHERE e.stream = p_stream AND (e.ms, e.sequence) > (cursor_row.last_ms, cursor_row.last_sequence)
    ORDER BY e.ms, e.sequence LIMIT p_count
  LOOP
    INSERT INTO ${s}.stream_pending AS p
      (stream, group_name, ms, sequence, consumer, delivery_count, delivered_at)
    VALUES (p_stream, p_group, entry.ms, entry.sequence, p_consumer, 1, p_now)
    ON CONFLICT (stream, group_name, ms, sequence) DO UPDATE
      SET consumer = p_consumer, delivery_count = 1, delivered_at = p_now;
    out_ms := entry.ms; out_sequence := entry.sequence;
    out_data := entry.data; out_dead_letter := entry.dead_letter;
    RETURN NEXT;
  END LOOP;
  IF out_ms IS NOT NULL THEN
    UPDATE ${s}.stream_groups g SET last_ms = out_ms, last_sequence = out_sequence
    WHERE g.stream = p_stream AND g.name = p_group;
  END IF;
END
$$;

-- Takes over messages idle for p_min_idle ms. Pending rows are taken FOR UPDATE SKIP LOCKED:
-- concurrent claimers get disjoint messages without waiting for each other. A message already
-- delivered p_max_deliveries times goes to the dead-letter stream instead (out_kind 'dead').
CREATE FUNCTION ${s}.stream_claim(p_stream text, p_origin text, p_group text, p_consumer text,
  p_min_idle bigint, p_count integer, p_max_deliveries bigint, p_dead_letter_stream text,
  p_now bigint)
RETURNS TABLE (out_kind text, out_ms bigint, out_sequence bigint, out_data text,
  out_dead_letter text, out_delivery_count bigint)
LANGUAGE plpgsql AS $$
DECLARE
  pending record;
  entry record;
  entry_found boolean;
BEGIN
  PERFORM 1 FROM ${s}.stream_groups g WHERE g.stream = p_stream AND g.name = p_group;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no consumer group' USING ERRCODE = '${NO_GROUP_SQLSTATE}';
  END IF;
  FOR pending IN
    SELECT p.ms, p.sequence, p.delivery_count FROM ${s}.stream_pending p
    WHERE p.stream = p_stream AND p.group_name = p_group AND p.delivered_at <= p_now - p_min_idle
    ORDER BY p.ms, p.sequence LIMIT p_count
    FOR UPDATE SKIP LOCKED
  LOOP
    SELECT e.data, e.dead_letter INTO entry FROM ${s}.stream_entries e
    WHERE e.stream = p_stream AND e.ms = pending.ms AND e.sequence = pending.sequence;
    entry_found := FOUND;
    IF NOT entry_found OR pending.delivery_count >= p_max_deliveries THEN
      DELETE FROM ${s}.stream_pending p WHERE p.stream = p_stream AND p.group_name = p_group
        AND p.ms = pending.ms AND p.sequence = pending.sequence;
      CONTINUE WHEN NOT entry_found; -- trimmed while pending: nothing left to deliver
      PERFORM ${s}.stream_append(p_dead_letter_stream, entry.data, json_build_object(
        'stream', p_origin, 'group', p_group, 'id', pending.ms || '-' || pending.sequence,
        'deliveryCount', pending.delivery_count)::text, p_now);
      out_kind := 'dead'; out_delivery_count := pending.delivery_count;
    ELSE
      UPDATE ${s}.stream_pending p
        SET consumer = p_consumer, delivery_count = pending.delivery_count + 1, delivered_at = p_now
      WHERE p.stream = p_stream AND p.group_name = p_group
        AND p.ms = pending.ms AND p.sequence = pending.sequence;
      out_kind := 'claimed'; out_delivery_count := pending.delivery_count + 1;
    END IF;
    out_ms := pending.ms; out_sequence := pending.sequence;
    out_data := entry.data; out_dead_letter := entry.dead_letter;
    RETURN NEXT;
  END LOOP;
END
$$;
`,
  ];
}

/** The schema version this code creates and expects. */
export const postgresSchemaVersion = 1;

const isMissingRelation = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42P01' || code === '3F000'; // undefined_table, invalid_schema_name
};

/**
 * Brings `schema` to {@link postgresSchemaVersion}: creates it and its tables and functions on
 * first use, applies newer migrations, and refuses a schema written by a newer version.
 *
 * @throws {StoreError} `STORE_FAILED` when the schema is newer than this code.
 */
export async function migratePostgresSchema(sql: Sql, schema: string): Promise<void> {
  const s = quoteSchema(schema);
  const steps = migrations(schema);
  const readVersion = async (client: Sql): Promise<number> => {
    const [row] = await client.unsafe<{ version: number | null }[]>(
      `SELECT max(version) AS version FROM ${s}.schema_version`,
    );
    return row?.version ?? 0;
  };
  const checkNotNewer = (version: number): void => {
    if (version > steps.length) {
      throw new StoreError(
        'STORE_FAILED',
        `The PostgreSQL schema "${schema}" is at version ${version}, newer than this @fedmcp/store understands (${steps.length}); upgrade @fedmcp/store or use another schema.`,
      );
    }
  };
  try {
    const version = await readVersion(sql);
    checkNotNewer(version);
    if (version === steps.length) return; // up to date: no lock, no DDL privileges needed
  } catch (error) {
    if (!isMissingRelation(error)) throw error;
  }
  await sql.begin(async (transaction) => {
    await transaction`SELECT pg_advisory_xact_lock(hashtextextended(${`fedmcp-store:${schema}`}, 0))`;
    await transaction.unsafe(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await transaction.unsafe(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const version = await readVersion(transaction as unknown as Sql);
    checkNotNewer(version);
    for (let next = version + 1; next <= steps.length; next += 1) {
      await transaction.unsafe(steps[next - 1]!);
      await transaction.unsafe(`INSERT INTO ${s}.schema_version (version) VALUES (${next})`);
    }
  });
}
