/**
 * The error a CLI command shows when a running hub's admin API (`/admin/v1`) refuses a request:
 * the target, the HTTP status, the problem's `detail` (or a short printable body), and for a 401
 * or 403 a hint that the key needs the "admin" scope.
 */

/**
 * The error of the refused admin API request `target` (consumes `response`'s body).
 * @param keyHint How to give the key, after "give": e.g. `--token KEY (or set FEDMCP_ADMIN_KEY)`.
 */
export async function adminRefusal(
  response: Response,
  target: string,
  keyHint = '--token KEY',
): Promise<Error> {
  const text = await response.text().catch(() => '');
  let detail = '';
  try {
    detail = String((JSON.parse(text) as { detail?: unknown }).detail ?? '');
  } catch {
    detail = /^[\x20-\x7e]{1,300}$/.test(text) ? text : '';
  }
  const hint =
    response.status === 401 || response.status === 403
      ? `\nThe admin API wants an API key or token with the "admin" scope: give ${keyHint}.`
      : '';
  return new Error(
    `${target} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}${hint}`,
  );
}
