import { FedmcpError } from '@fedmcp/protocol';

/**
 * Reads a response body as text, refusing bodies longer than a limit (a hostile server cannot
 * exhaust memory).
 * @throws {FedmcpError} `UPSTREAM_UNAVAILABLE` for a longer body (callers wrap it with the URL).
 */
export async function readLimitedText(response: Response, maxLength: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.length > maxLength) {
      await reader.cancel();
      throw new FedmcpError(
        'UPSTREAM_UNAVAILABLE',
        `the document is longer than ${maxLength} characters`,
      );
    }
  }
  return text + decoder.decode();
}
