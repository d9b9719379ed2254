/**
 * A prom-client `Histogram` whose hot series are counted in plain numbers. `observe(labels, v)`
 * makes prom-client hash the label set, check every label name and key its buckets by the bound
 * as a string, on every observation; a caller that knows its label set holds the recorder
 * `series(labels)` gives it and pays one bucket search and two additions per observation. The
 * series join prom-client's own ones at scrape time, in the format prom-client writes them
 * (`_bucket{le}` cumulative, `+Inf`, `_sum`, `_count`). Use one or the other for a label set.
 */
import { Histogram, type HistogramConfiguration } from 'prom-client';

/** Records observations of one label set of a {@link SeriesHistogram}. */
export interface HistogramSeries {
  observe(value: number): void;
}

/** A value as prom-client's `Histogram` exports it before the registry formats it. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar?: null;
}

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative), the last one beyond the largest bound. */
  counts: number[];
  sum: number;
  count: number;
}

type Exported = Awaited<ReturnType<Histogram['get']>>;

/** See the file comment. */
export class SeriesHistogram<T extends string = string> extends Histogram<T> {
  readonly #bounds: number[];
  #series: Series[] = [];
  readonly #recorders = new Map<string, HistogramSeries>();

  constructor(configuration: HistogramConfiguration<T> & { buckets: number[] }) {
    super(configuration);
    this.#bounds = [...configuration.buckets].sort((a, b) => a - b);
  }

  /** The recorder of one label set (hold it: the lookup is what it saves). */
  series(labels: Record<T, string>): HistogramSeries {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    const known = this.#recorders.get(key);
    if (known) return known;
    const bounds = this.#bounds;
    const series: Series = {
      labels: { ...labels },
      counts: new Array<number>(bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
    };
    this.#series.push(series);
    const recorder: HistogramSeries = {
      observe(value) {
        if (!Number.isFinite(value)) return;
        let index = 0;
        while (index < bounds.length && value > (bounds[index] as number)) index += 1;
        series.counts[index] = (series.counts[index] as number) + 1;
        series.sum += value;
        series.count += 1;
      },
    };
    this.#recorders.set(key, recorder);
    return recorder;
  }

  override reset(): void {
    super.reset();
    if (!(#series in this)) return; // prom-client's constructor resets before our fields exist
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  /**
   * What the registry formats (prom-client calls this rather than `get()` when it exists; `get()`
   * calls it too): prom-client's own series, then the plain ones.
   */
  async getForPromString(): Promise<Exported> {
    const base = Histogram.prototype as unknown as {
      getForPromString?: (this: Histogram<T>) => Promise<Exported>;
    };
    const exported = base.getForPromString
      ? await base.getForPromString.call(this)
      : await super.get();
    const values = exported.values as unknown as ExportedValue[];
    const bucket = `${exported.name}_bucket`;
    for (const series of this.#series) {
      if (series.count === 0) continue;
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += series.counts[index] as number;
        values.push({
          labels: { le: bound },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucket,
          exemplar: null,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: series.labels,
          value: series.count,
          metricName: bucket,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.sum,
          metricName: `${exported.name}_sum`,
        },
        {
          labels: {},
          sharedLabels: series.labels,
          value: series.count,
          metricName: `${exported.name}_count`,
        },
      );
    }
    return exported;
  }
}
