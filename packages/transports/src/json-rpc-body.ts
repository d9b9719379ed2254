/**
 * What a parsed Streamable HTTP body (one JSON-RPC message or a batch) holds, without validating
 * it: the routes decide on a message's method before the SDK transport checks the rest.
 */

/** Whether the body is (or its batch holds) a message with `method`. */
export function hasMethod(body: unknown, method: string): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (message) =>
      typeof message === 'object' &&
      message !== null &&
      (message as { method?: unknown }).method === method,
  );
}
