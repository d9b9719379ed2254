/**
 * SEP-1034: a client accepting a form elicitation fills every field the user left out with the
 * `default` its schema declares.
 */

/** A value an accepted form elicitation may carry. */
export type ElicitationValue = string | number | boolean | string[];

function isElicitationValue(value: unknown): value is ElicitationValue {
  return (
    ['string', 'number', 'boolean'].includes(typeof value) ||
    (Array.isArray(value) && value.every((item) => typeof item === 'string'))
  );
}

/** The part of an elicitation `requestedSchema` this needs. */
export interface SchemaWithDefaults {
  properties?: Record<string, unknown>;
}

/**
 * Returns `content` with each omitted property (absent or `undefined`) set to its schema default.
 * Properties without a (well-typed) default stay omitted; values the user gave are never replaced.
 *
 * @example
 * ```ts
 * applyElicitationDefaults({ properties: { age: { type: 'integer', default: 30 } } }, {});
 * // → { age: 30 }
 * ```
 */
export function applyElicitationDefaults(
  schema: SchemaWithDefaults,
  content: Record<string, ElicitationValue> = {},
): Record<string, ElicitationValue> {
  const result: Record<string, ElicitationValue> = { ...content };
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (result[name] !== undefined) continue;
    if (typeof property === 'object' && property !== null && 'default' in property) {
      const fallback = (property as { default?: unknown }).default;
      if (isElicitationValue(fallback)) result[name] = fallback;
    }
  }
  return result;
}
