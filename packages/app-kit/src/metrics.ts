import {
  collectDefaultMetrics,
  type Metric,
  Counter as PromCounter,
  Gauge as PromGauge,
  Registry,
} from 'prom-client';

// The apps' metrics on prom-client: one Registry per app instance (tests start several apps in
// one process, so never the global default registry), the process metrics of
// `collectDefaultMetrics` (event-loop lag, heap, GC), and the exposition format from prom-client.
//
// Label values are code-chosen (route templates, methods, statuses, error codes, tiers), never
// request data or secrets: a hostile client cannot create series or smuggle anything into them.
//
// Counting on the request path is one addition on a series resolved once (`labels(...)`):
// prom-client's own `inc`/`observe` hash a labels object on every call (about 0.2 µs for a
// counter and 0.5 µs for a histogram on this machine), so counts are kept here and handed to
// prom-client when it is scraped.

/** One series of a counter: `inc()` is a single addition. */
export interface CounterSeries {
  /** Adds `by` (default 1, never negative). */
  inc(by?: number): void;
}

export interface Counter {
  /** Adds one to the series with these label values, in the order of the label names. */
  inc(...labelValues: string[]): void;
  /** The series of these label values, resolved once: keep it for hot paths. */
  labels(...labelValues: string[]): CounterSeries;
}

/** One series of a histogram: `observe()` is a bucket search over a few numbers and three additions. */
export interface HistogramSeries {
  /** Records one observation (seconds, for durations). */
  observe(value: number): void;
}

export interface Histogram {
  /** The series of these label values, resolved once: keep it for hot paths. */
  labels(...labelValues: string[]): HistogramSeries;
}

export interface Metrics {
  /** The app's own prom-client registry, for metrics the helpers here do not cover. */
  readonly registry: Registry;
  counter(name: string, help: string, labelNames: readonly string[]): Counter;
  /** A histogram; `buckets` are upper bounds in ascending order (seconds, for durations). */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram;
  /** A gauge without labels, read at scrape time. */
  gauge(name: string, help: string, read: () => number): void;
  /** Prometheus text exposition format 0.0.4 of every metric, the process metrics included. */
  render(): Promise<string>;
  /** The `Content-Type` of {@link Metrics.render}'s text. */
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Process metrics (`process_*`, `nodejs_*`: CPU, heap, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/**
 * The app's metrics: a prom-client `Registry` of its own, with the process metrics.
 *
 * @example
 * const metrics = createMetrics();
 * const shed = metrics.counter('work_shed_total', 'Requests shed', ['reason']);
 * shed.inc('queue_full');
 * const ok = metrics.counter('auth_total', 'Authentications', ['outcome']).labels('ok');
 * ok.inc(); // hot path: one addition
 * const text = await metrics.render();
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    counter(name, help, labelNames) {
      return createCounter(registry, name, help, labelNames);
    },
    histogram(name, help, labelNames, buckets) {
      const histogram = new LazyHistogram(name, help, labelNames, buckets);
      // prom-client renders any registered metric from its `get()`; see LazyHistogram.
      registry.registerMetric(histogram as unknown as Metric);
      return histogram;
    },
    gauge(name, help, read) {
      new PromGauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

type Labels = Record<string, string>;

function labelsOf(labelNames: readonly string[], values: readonly string[], metric: string): Labels {
  if (values.length !== labelNames.length) {
    throw new TypeError(`${metric}: expected ${labelNames.length} label values, got ${values.length}`);
  }
  const labels: Labels = {};
  for (let i = 0; i < labelNames.length; i += 1) labels[labelNames[i] as string] = values[i] as string;
  return labels;
}

class CounterCell implements CounterSeries {
  count = 0;
  reported = 0;
  constructor(readonly labels: Labels) {}
  inc(by = 1): void {
    if (by > 0) this.count += by;
  }
}

function createCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
): Counter {
  const cells = new Map<string, CounterCell>();
  new PromCounter({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    // Hands each series' growth since the last scrape to prom-client, which renders it.
    collect() {
      for (const cell of cells.values()) {
        const delta = cell.count - cell.reported;
        if (delta > 0 || cell.reported === 0) {
          this.inc(cell.labels, delta);
          cell.reported = cell.count;
        }
      }
    },
  });
  const series = (values: readonly string[]): CounterCell => {
    const key = values.join('\u0000');
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = new CounterCell(labelsOf(labelNames, values, name));
      cells.set(key, cell);
    }
    return cell;
  };
  return {
    inc: (...labelValues) => series(labelValues).inc(),
    labels: (...labelValues) => series(labelValues),
  };
}

class HistogramCell implements HistogramSeries {
  /** Observations per bucket, not cumulative; the last slot is above every bound (`+Inf`). */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i += 1;
    (this.counts as number[])[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count += 1;
  }
}

/**
 * A histogram prom-client renders from `get()` (the same value list its own Histogram returns:
 * cumulative `_bucket` series with `le`, then `_sum` and `_count`), and counted without
 * prom-client's per-call label hashing.
 */
class LazyHistogram implements Histogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, HistogramCell>();
  private readonly bounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    if (labelNames.includes('le')) throw new TypeError(`${name}: le is a reserved label name`);
    for (let i = 1; i < buckets.length; i += 1) {
      if ((buckets[i] as number) <= (buckets[i - 1] as number)) {
        throw new TypeError(`${name}: buckets must be in ascending order`);
      }
    }
    this.bounds = [...buckets];
  }

  labels(...labelValues: string[]): HistogramSeries {
    const key = labelValues.join('\u0000');
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = new HistogramCell(labelsOf(this.labelNames, labelValues, this.name), this.bounds);
      this.cells.set(key, cell);
    }
    return cell;
  }

  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    const bucket = `${this.name}_bucket`;
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i += 1) {
        cumulative += cell.counts[i] as number;
        values.push({
          labels: { ...cell.labels, le: this.bounds[i] as number },
          value: cumulative,
          metricName: bucket,
        });
      }
      values.push(
        { labels: { ...cell.labels, le: '+Inf' }, value: cell.count, metricName: bucket },
        { labels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` },
        { labels: cell.labels, value: cell.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.cells.clear();
  }
}
