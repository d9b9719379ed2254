/**
 * The pin file: approved definitions of every upstream's tools and prompts, in JSON, for review in
 * version control and for seeding a fresh hub (`createToolPinning({ pinFile })`).
 * `exportPins()` writes one; {@link parsePinFile} reads one back with errors that name the bad key.
 */
import { FedmcpError } from '@fedmcp/protocol';
import * as z from 'zod';

/** One pinned definition. */
export interface PinEntry {
  /** `sha256:<hex>` of the canonical definition. */
  digest: string;
  /** When it was pinned or approved (ISO 8601). */
  pinnedAt: string;
  /** The canonical definition; optional in a hand-written file (diffs then show no "before"). */
  definition?: Record<string, unknown>;
}

/** The pins of one upstream, by the upstream's own item names. */
export interface UpstreamPins {
  tools?: Record<string, PinEntry>;
  prompts?: Record<string, PinEntry>;
}

/** A pin file, as written by `exportPins()`. */
export interface PinFile {
  version: 1;
  /** When it was exported (ISO 8601). */
  exportedAt?: string;
  /** Pins by upstream id. */
  upstreams: Record<string, UpstreamPins>;
}

const pinEntrySchema = z
  .object({
    digest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 lowercase hex digits'),
    pinnedAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
    definition: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const pinFileSchema = z
  .object({
    version: z.literal(1, 'must be 1'),
    exportedAt: z.string().optional(),
    upstreams: z.record(
      z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'not an upstream id ([a-z0-9][a-z0-9-]{0,31})'),
      z
        .object({
          tools: z.record(z.string().min(1), pinEntrySchema).optional(),
          prompts: z.record(z.string().min(1), pinEntrySchema).optional(),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * Validates a pin file (its JSON text, or the parsed value).
 * @throws {FedmcpError} `INVALID_CONFIG` naming each bad key, or saying the text is not JSON.
 */
export function parsePinFile(input: string | unknown, source = 'the pin file'): PinFile {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new FedmcpError(
        'INVALID_CONFIG',
        `${source} is not valid JSON (${(error as Error).message}); write it with exportPins() of createToolPinning.`,
        { cause: error, data: { source } },
      );
    }
  }
  const parsed = pinFileSchema.safeParse(value);
  if (parsed.success) return parsed.data as PinFile;
  const problems = parsed.error.issues.map((issue) => {
    const where = issue.path.length === 0 ? '(file)' : issue.path.join('.');
    // A bad record key: zod wraps the key's own issue.
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return `${where}: ${message}`;
  });
  throw new FedmcpError('INVALID_CONFIG', `${source} is invalid: ${problems.join('; ')}.`, {
    data: { problems, source },
  });
}
