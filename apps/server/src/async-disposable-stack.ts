/**
 * A small stand-in for TC39's `AsyncDisposableStack` (not in Node 20): cleanups registered while
 * a composition is built run in reverse order when it fails part-way (with `await using`), or
 * move to the finished object on success (`move()`), which runs them when it closes.
 */

/** Cleanups run in reverse order of registration. */
export class AsyncDisposableStack implements AsyncDisposable {
  #cleanups: Array<() => unknown> = [];
  #disposed = false;

  /** Registers a cleanup (e.g. `() => store.close()`). */
  defer(cleanup: () => unknown): void {
    if (this.#disposed) throw new ReferenceError('The stack is already disposed.');
    this.#cleanups.push(cleanup);
  }

  /** Registers `resource`'s own `Symbol.asyncDispose` and returns it. */
  use<Resource extends AsyncDisposable>(resource: Resource): Resource {
    this.defer(() => resource[Symbol.asyncDispose]());
    return resource;
  }

  /** A new stack holding every cleanup of this one; this one is left empty and disposed. */
  move(): AsyncDisposableStack {
    const moved = new AsyncDisposableStack();
    moved.#cleanups = this.#cleanups;
    this.#cleanups = [];
    this.#disposed = true;
    return moved;
  }

  /**
   * Runs every cleanup, last registered first, each even when one before it failed.
   * @throws the first cleanup failure, once all ran.
   */
  async disposeAsync(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const failures: unknown[] = [];
    for (const cleanup of this.#cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    this.#cleanups = [];
    if (failures.length > 0) throw failures[0];
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.disposeAsync();
  }
}
