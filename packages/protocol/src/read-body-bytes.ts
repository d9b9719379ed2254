/**
 * A web `Request`'s (or `Response`'s) body read with a byte limit (web-standard: Node, workerd,
 * Deno): a body declared or found longer is not read further.
 */

/**
 * The bytes of `request`'s body (empty when it has none), or `undefined` when it is longer than
 * `limit` bytes: by its `Content-Length` (then the body is canceled unread) or while reading it
 * (then the rest is not read).
 */
export async function readBodyBytes(
  request: Pick<Request, 'headers' | 'body'>,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    await request.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
