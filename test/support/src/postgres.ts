/**
 * PostgreSQL for tests: a reachability probe (a missing PostgreSQL fails the run when CI=true,
 * and skips the postgres tests with a printed notice elsewhere), a schema name unique to the run,
 * and an admin connection to inspect and drop it.
 */
import postgres, { type Sql } from 'postgres';

/** Tests may point elsewhere with FEDMCP_TEST_POSTGRES_URL. */
export const postgresUrl =
  process.env.FEDMCP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<boolean> {
  const sql = postgres(postgresUrl, { max: 1, connect_timeout: 2, onnotice: () => undefined });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export const postgresAvailable = await probe();
if (!postgresAvailable) {
  if (process.env.CI === 'true') {
    throw new Error(
      `PostgreSQL is required in CI but not reachable at ${postgresUrl}; start it and rerun.`,
    );
  }
  console.warn(
    `notice: PostgreSQL not reachable at ${postgresUrl}; skipping the postgres engine tests.`,
  );
}

/** A schema name unique to this test run (and `suffix`). */
export const runSchema = (suffix: string): string =>
  `fedmcp_test_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}_${suffix}`;

/** Runs `operation` on a separate admin connection. */
export async function withAdmin<T>(operation: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(postgresUrl, { max: 1, onnotice: () => undefined });
  try {
    return await operation(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Drops a test schema with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await withAdmin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
