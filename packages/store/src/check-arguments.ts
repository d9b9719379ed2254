/** Argument checks shared by the engines, so every engine rejects the same bad input the same way. */
import { StoreError } from './store-error.js';

/** Throws unless `value` is a positive finite number of milliseconds. */
export function checkDuration(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${name} must be a positive number of ms, got ${value}.`,
    );
  }
}

/** Throws unless `value` is a positive integer; returns it or the fallback. */
export function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${name} must be a positive integer, got ${value}.`,
    );
  }
  return value;
}

/** Throws unless `value` is an integer (safe for every engine's counters). */
export function checkInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `${name} must be a safe integer, got ${value}.`);
  }
}

/** Parses a stored counter, or throws `STORE_INVALID_VALUE`. */
export function parseCounter(key: string, value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^-?\d+$/.test(value)) {
    throw new StoreError(
      'STORE_INVALID_VALUE',
      `Cannot increment "${key}": its value is not an integer.`,
    );
  }
  return Number(value);
}

/** The default name of the dead-letter stream of `stream`. */
export function defaultDeadLetterStream(stream: string): string {
  return `${stream}:dead-letter`;
}
