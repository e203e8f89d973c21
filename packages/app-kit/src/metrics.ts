/**
 * A minimal Prometheus registry: counters with fixed label names, and gauges read at scrape time.
 * Label values are code-chosen (method, status, error code), never request data or secrets.
 * Counting is a Map lookup on a joined key: cheap enough for every request.
 */
export interface Counter {
  /** Adds one to the series with these label values, in the order of the label names. */
  inc(...labelValues: string[]): void;
}

export interface Metrics {
  counter(name: string, help: string, labelNames: readonly string[]): Counter;
  gauge(name: string, help: string, read: () => number): void;
  /** Prometheus text exposition format 0.0.4. */
  render(): string;
  /** The `Content-Type` of {@link Metrics.render}'s text. */
  readonly contentType: string;
}

/**
 * @example
 * const metrics = createMetrics();
 * const requests = metrics.counter('http_requests_total', 'HTTP requests', ['method', 'status']);
 * requests.inc('GET', '200');
 */
export function createMetrics(): Metrics {
  const renderers: Array<() => string[]> = [];
  const escapeLabel = (value: string) => value.replace(/[\\"\n]/g, '_');

  return {
    counter(name, help, labelNames) {
      const series = new Map<string, number>();
      renderers.push(() => [
        `# HELP ${name} ${help}`,
        `# TYPE ${name} counter`,
        ...[...series].map(([joined, value]) => {
          const labels = joined === '' ? [] : joined.split('\u0000');
          const text = labelNames.map((label, i) => `${label}="${escapeLabel(labels[i] ?? '')}"`).join(',');
          return `${name}${text ? `{${text}}` : ''} ${value}`;
        }),
      ]);
      return {
        inc(...labelValues) {
          const key = labelValues.join('\u0000');
          series.set(key, (series.get(key) ?? 0) + 1);
        },
      };
    },
    gauge(name, help, read) {
      renderers.push(() => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${read()}`]);
    },
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    render() {
      return `${renderers.flatMap((render) => render()).join('\n')}\n`;
    },
  };
}
