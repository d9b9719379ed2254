import { describe, expect, it } from 'vitest';
import { renderTemplate } from './render-template.js';

describe('renderTemplate', () => {
  const event = { id: 'e1', body: { transcript: 'Ana: hi', meta: { n: 2 } } };

  it('puts whole values for whole placeholders and text inside longer strings', () => {
    expect(
      renderTemplate(
        {
          transcript: '{{event.body.transcript}}',
          meta: '{{ event.body.meta }}',
          title: 'Call {{event.id}}',
        },
        { event },
      ),
    ).toEqual({ transcript: 'Ana: hi', meta: { n: 2 }, title: 'Call e1' });
  });

  it('drops keys whose path leads nowhere and never reaches prototypes', () => {
    expect(
      renderTemplate(
        { a: '{{event.missing}}', b: 'x{{event.constructor}}y', c: [1, '{{event.id}}'] },
        { event },
      ),
    ).toEqual({ b: 'xy', c: [1, 'e1'] });
  });
});
