import { describe, expect, it } from 'vitest';
import { AsyncDisposableStack } from './async-disposable-stack.js';

describe('AsyncDisposableStack', () => {
  it('runs cleanups last first when a composition fails part-way', async () => {
    const order: string[] = [];
    const build = async () => {
      await using stack = new AsyncDisposableStack();
      stack.defer(() => order.push('store'));
      stack.defer(async () => order.push('hub'));
      throw new Error('start failed');
    };
    await expect(build()).rejects.toThrow('start failed');
    expect(order).toEqual(['hub', 'store']);
  });

  it('moves the cleanups to the finished object, which runs them once on close', async () => {
    const order: string[] = [];
    const build = async () => {
      await using stack = new AsyncDisposableStack();
      stack.defer(() => order.push('store'));
      return stack.move();
    };
    const owned = await build();
    expect(order).toEqual([]);
    owned.defer(() => order.push('host'));
    await owned.disposeAsync();
    await owned.disposeAsync();
    expect(order).toEqual(['host', 'store']);
  });

  it('runs every cleanup when one fails, then throws the failure', async () => {
    const order: string[] = [];
    const stack = new AsyncDisposableStack();
    stack.defer(() => order.push('store'));
    stack.defer(() => {
      throw new Error('hub close failed');
    });
    await expect(stack.disposeAsync()).rejects.toThrow('hub close failed');
    expect(order).toEqual(['store']);
  });
});
