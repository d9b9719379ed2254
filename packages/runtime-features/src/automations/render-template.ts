/**
 * Argument templates of automations: any JSON value whose strings may hold `{{path}}`
 * placeholders over the trigger (`{{event.body.transcript}}`, `{{event.id}}`). A string that is
 * exactly one placeholder becomes the value itself (an object stays an object); inside a longer
 * string the value is written as text. A path that leads nowhere renders as nothing (`undefined`
 * for a whole-string placeholder, which drops the key).
 */

const WHOLE = /^\{\{\s*([\w.$-]+)\s*\}\}$/;
const PART = /\{\{\s*([\w.$-]+)\s*\}\}/g;

/** Renders a template against a context such as `{ event }`. */
export function renderTemplate(template: unknown, context: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return lookup(context, whole[1] as string);
    return template.replace(PART, (_match, path: string) => {
      const value = lookup(context, path);
      if (value === undefined || value === null) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, context));
  if (template !== null && typeof template === 'object') {
    const rendered: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const result = renderTemplate(value, context);
      if (result !== undefined) rendered[key] = result;
    }
    return rendered;
  }
  return template;
}

function lookup(context: unknown, path: string): unknown {
  let current = context;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    // Own properties only: a template cannot reach prototypes.
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
