import { describe, expect, it } from 'vitest';
import { createSearchIndex, queryTerms, stem, tokenize, words } from './search-ranking.js';

const tools = [
  {
    id: 'everything__get-sum',
    name: 'everything__get-sum',
    description: 'Returns the sum of two numbers',
    argumentNames: ['a', 'b'],
    server: 'everything',
  },
  {
    id: 'memory__add_observations',
    name: 'memory__add_observations',
    description: 'Add new observations to existing entities in the knowledge graph',
    argumentNames: ['observations'],
    server: 'memory',
  },
  {
    id: 'filesystem__list_directory',
    name: 'filesystem__list_directory',
    description: 'Get a detailed listing of all files and directories in a specified path.',
    argumentNames: ['path'],
    server: 'filesystem',
  },
  {
    id: 'filesystem__move_file',
    name: 'filesystem__move_file',
    description: 'Move or rename files and directories.',
    argumentNames: ['source', 'destination'],
    server: 'filesystem',
  },
  {
    id: 'github__create_issue',
    name: 'github__create_issue',
    title: 'Create issue',
    description: 'Open a new issue in a repository.',
    argumentNames: ['owner', 'repo', 'title', 'body'],
    server: 'github',
  },
];

describe('search-ranking', () => {
  it('splits identifiers and text into words', () => {
    expect(words('github__create_issue')).toEqual(['github', 'create', 'issue']);
    expect(words('get-sum')).toEqual(['get', 'sum']);
    expect(words('listDirectoryWithSizes')).toEqual(['list', 'directory', 'with', 'sizes']);
    expect(words('readHTTPHeaders')).toEqual(['read', 'http', 'headers']);
  });

  it('stems the forms of a word to one term', () => {
    expect(new Set(['create', 'created', 'creating', 'creates', 'creation'].map(stem))).toEqual(
      new Set(['creat']),
    );
    expect(stem('directories')).toBe(stem('directory'));
    expect(stem('files')).toBe(stem('file'));
    expect(stem('running')).toBe('run');
  });

  it('drops stop words', () => {
    expect(tokenize('Returns the sum of two numbers')).toEqual(['return', 'sum', 'two', 'number']);
  });

  it('expands a query with synonyms at a lower weight', () => {
    const [deleteTerms, folderTerms] = queryTerms('delete folder');
    expect(deleteTerms?.get(stem('delete'))).toBe(1);
    expect(deleteTerms?.get(stem('remove'))).toBeLessThan(1);
    expect(folderTerms?.get(stem('directory'))).toBeLessThan(1);
  });

  it('ranks by BM25F: "add two numbers" finds get-sum first', () => {
    const index = createSearchIndex(tools);
    expect(index.search('add two numbers')[0]?.id).toBe('everything__get-sum');
  });

  it('finds through synonyms and word forms', () => {
    const index = createSearchIndex(tools);
    expect(index.search('rename a folder')[0]?.id).toBe('filesystem__move_file');
    expect(index.search('show what is in a folder')[0]?.id).toBe('filesystem__list_directory');
    expect(index.search('file a bug ticket on github')[0]?.id).toBe('github__create_issue');
  });

  it('weighs names above descriptions', () => {
    const index = createSearchIndex([
      { id: 'a', name: 'notes', description: 'Stores text. Mentions weather once.' },
      { id: 'b', name: 'weather', description: 'Forecasts.' },
    ]);
    expect(index.search('weather').map((hit) => hit.id)).toEqual(['b', 'a']);
  });

  it('applies the filter and the limit, keeps catalog order on ties, finds nothing for no words', () => {
    const index = createSearchIndex([
      { id: 'x1', name: 'echo' },
      { id: 'x2', name: 'echo' },
      { id: 'x3', name: 'echo' },
    ]);
    expect(index.search('echo', { limit: 2 }).map((hit) => hit.id)).toEqual(['x1', 'x2']);
    expect(index.search('echo', { filter: (id) => id !== 'x1' }).map((hit) => hit.id)).toEqual([
      'x2',
      'x3',
    ]);
    expect(index.search('the of a')).toEqual([]);
    expect(index.size).toBe(3);
  });
});
