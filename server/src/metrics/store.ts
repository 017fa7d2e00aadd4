// Times every store repository call (store_methods_time, store_ops_total) without touching the queries.
import type {CallsMetrics} from './index';

export function instrumentRepository<T extends object>(repo: T, metrics: CallsMetrics): T {
  return new Proxy(repo, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) =>
        metrics.timeStore(prop, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
