/**
 * Malformed and hostile JSON-RPC frames, reproducible from a seed: broken JSON, JSON that is not
 * JSON-RPC, wrong field types, unknown methods, bad params, deep nesting, huge and odd ids,
 * binary garbage. Every frame is one a hub must refuse (a 4xx or a JSON-RPC error), never a
 * notification that is answered with silence.
 */

/** A small seeded PRNG (mulberry32), so a failing frame can be found again. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const nested = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

/** One fuzzed frame (a string of text, possibly not UTF-8-clean). */
export function fuzzFrame(random: () => number, index: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const id = index + 1;
  const kinds: Array<() => string> = [
    // Broken JSON.
    () => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{`,
    () => pick(['', ' ', '{', '}', '[', 'nul', 'true', '"x"', '{"a":}', '\u0000\u0001', '{{}}']),
    () =>
      Array.from({ length: 1 + Math.floor(random() * 64) }, () =>
        String.fromCharCode(Math.floor(random() * 256)),
      ).join(''),
    // JSON, not JSON-RPC.
    () => pick(['42', 'null', '[]', '[1,2]', '{"hello":"world"}', '{"jsonrpc":"1.0","id":1}']),
    () => JSON.stringify({ jsonrpc: '2.0', id, method: 42 }),
    () => JSON.stringify({ jsonrpc: '2.0', id: { nested: true }, method: 'ping' }),
    // JSON-RPC requests the hub must refuse with an error.
    () =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: `no/such/method/${Math.floor(random() * 1e6)}`,
      }),
    () => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 42 } }),
    () =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: `nope__${'x'.repeat(Math.floor(random() * 300))}`, arguments: {} },
      }),
    () => JSON.stringify({ jsonrpc: '2.0', id, method: 'resources/read', params: { uri: 42 } }),
    () =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'resources/read',
        params: { uri: `fedmcp://evil/${'../'.repeat(20)}etc/passwd` },
      }),
    () => JSON.stringify({ jsonrpc: '2.0', id, method: 'prompts/get', params: {} }),
    () => JSON.stringify({ jsonrpc: '2.0', id: 'x'.repeat(10_000), method: 'no/such' }),
    // Deep nesting: id, params, tool arguments.
    () => `{"jsonrpc":"2.0","id":${nested(2_000 + Math.floor(random() * 8_000))},"method":"ping"}`,
    () => `{"jsonrpc":"2.0","id":${id},"method":"ping","params":{"a":${nested(10_000)}}}`,
    () =>
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"everything__echo","arguments":{"message":${nested(5_000, '"x"')}}}}`,
  ];
  return pick(kinds)();
}
