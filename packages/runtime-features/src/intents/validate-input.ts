import { InvalidRequestError } from '@fedmcp/protocol';
import type { z } from 'zod';

/**
 * Checks a tool's input against its schema.
 * @throws InvalidRequestError naming the first bad key and what is wrong with it.
 */
export function validateInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
): z.infer<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidRequestError({
    reason: `${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`,
  });
}
