/**
 * Times the store's key/value and stream operations into `fedmcp_store_operation_duration_seconds`
 * (label `kv.get`, `streams.append`, …): every component of the server gets the timed store, so
 * rate limits, consent, audit and pins are all measured, on whichever engine is configured.
 */
import type { Store } from '@fedmcp/store';
import type { HubMetrics } from './hub-metrics.js';

function timed<T extends object>(target: T, area: string, metrics: HubMetrics): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        // One plain series per operation (no label hashing per store call).
        const duration = metrics.storeDuration.series({ operation: `${area}.${property}` });
        wrapper = function (this: unknown, ...args: unknown[]) {
          const started = performance.now();
          const result = (value as (...a: unknown[]) => unknown).apply(object, args);
          // Only operations that answer with a promise are timed (not iterators or handles).
          if (result instanceof Promise) {
            const observe = () => duration.observe((performance.now() - started) / 1000);
            result.then(observe, observe);
          }
          return result;
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

/** The store `store`, its `kv` and `streams` operations timed (see the file comment). */
export function instrumentStore(store: Store, metrics: HubMetrics): Store {
  const kv = timed(store.kv, 'kv', metrics);
  const streams = timed(store.streams, 'streams', metrics);
  return new Proxy(store, {
    get(object, property, receiver) {
      if (property === 'kv') return kv;
      if (property === 'streams') return streams;
      const value = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
