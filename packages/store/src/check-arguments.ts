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

/** Throws unless `value` is undefined or a finite number of ms ≥ 0; returns it or 0. */
export function checkWait(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `${name} must be a number of ms ≥ 0, got ${value}.`,
    );
  }
  return value;
}

/** Throws unless the trim options name at least one valid limit. */
export function checkTrim(options: { maxLength?: number; maxAgeMs?: number }): void {
  if (options.maxLength === undefined && options.maxAgeMs === undefined) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'trim() needs maxLength and/or maxAgeMs.');
  }
  if (
    options.maxLength !== undefined &&
    (!Number.isSafeInteger(options.maxLength) || options.maxLength < 0)
  ) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `maxLength must be an integer ≥ 0, got ${options.maxLength}.`,
    );
  }
  checkDuration('maxAgeMs', options.maxAgeMs);
}

/** The default name of the dead-letter stream of `stream`. */
export function defaultDeadLetterStream(stream: string): string {
  return `${stream}:dead-letter`;
}
