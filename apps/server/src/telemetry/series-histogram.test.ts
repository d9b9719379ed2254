import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesHistogram } from './series-histogram.js';

describe('SeriesHistogram', () => {
  it('exposes its series exactly as prom-client exposes the same observations', async () => {
    const plain = new Registry();
    const reference = new Registry();
    const configuration = {
      name: 'x_seconds',
      help: 'x',
      labelNames: ['upstream', 'method'] as const,
      buckets: [0.001, 0.01, 0.1],
    };
    const series = new SeriesHistogram({ ...configuration, registers: [plain] });
    const histogram = new Histogram({ ...configuration, registers: [reference] });
    const a = series.series({ upstream: 'a', method: 'tools/call' });
    const values = [0.0005, 0.001, 0.002, 0.01, 0.05, 0.1, 3, 0];
    for (const value of values) {
      a.observe(value);
      histogram.observe({ upstream: 'a', method: 'tools/call' }, value);
    }
    // The same label set gives the same recorder; a label set never observed is not exposed.
    series.series({ method: 'tools/call', upstream: 'a' }).observe(0.02);
    histogram.observe({ upstream: 'a', method: 'tools/call' }, 0.02);
    series.series({ upstream: 'b', method: 'tools/list' });
    expect(await plain.metrics()).toBe(await reference.metrics());
    expect(await plain.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
    series.reset();
    histogram.reset();
    expect(await plain.metrics()).toBe(await reference.metrics());
  });
});
