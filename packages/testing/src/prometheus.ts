import { createRequire } from 'node:module';

/** One series of a family: a plain value, or a histogram's buckets, count and sum. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value?: string;
  readonly buckets?: Readonly<Record<string, string>>;
  readonly count?: string;
  readonly sum?: string;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  readonly metrics: readonly Sample[];
}

// CommonJS without type declarations; the shape is prom2json's, as the package documents.
const parseText = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => { name: string; help: string; type: MetricFamily['type']; metrics: Sample[] }[];

/**
 * Parses a /metrics body with an independent Prometheus text-format parser and returns the
 * families by name. Throws when the text does not parse, or when a sample line belongs to no
 * declared family (the parser would otherwise fold it away silently).
 */
export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  for (const family of parseText(text)) {
    families.set(family.name, {
      ...family,
      metrics: family.metrics.map((m) => ({ ...m, labels: m.labels ?? {} })),
    });
  }
  // The parser folds every series of a labelled histogram into one. Read its _bucket, _sum and
  // _count lines as plain samples instead and group them by their labels.
  const histograms = [...families.values()].filter((f) => f.type === 'HISTOGRAM');
  if (histograms.length > 0) {
    // Each run of _bucket, _sum or _count lines comes back as a family of its own: merge them.
    const plain = new Map<string, Sample[]>();
    const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
    for (const f of parseText(untyped))
      plain.set(f.name, [...(plain.get(f.name) ?? []), ...f.metrics]);
    for (const family of histograms) {
      families.set(family.name, { ...family, metrics: histogramSeries(family.name, plain) });
    }
  }
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
    const family = name.replace(/_(bucket|count|sum)$/, '');
    if (!families.has(name) && !families.has(family)) {
      throw new Error(`metrics line without a family: ${line}`);
    }
  }
  return families;
}

function histogramSeries(name: string, plain: Map<string, Sample[]>): Sample[] {
  const series = new Map<
    string,
    {
      labels: Record<string, string>;
      buckets: Record<string, string>;
      count?: string;
      sum?: string;
    }
  >();
  const entry = (labels: Record<string, string>) => {
    const key = JSON.stringify(Object.entries(labels).sort());
    let found = series.get(key);
    if (!found) {
      found = { labels, buckets: {} };
      series.set(key, found);
    }
    return found;
  };
  for (const sample of plain.get(`${name}_bucket`) ?? []) {
    const { le, ...labels } = sample.labels ?? {};
    if (le === undefined || sample.value === undefined)
      throw new Error(`${name}: bucket without le`);
    entry(labels).buckets[le] = sample.value;
  }
  for (const sample of plain.get(`${name}_count`) ?? [])
    entry(sample.labels ?? {}).count = sample.value;
  for (const sample of plain.get(`${name}_sum`) ?? [])
    entry(sample.labels ?? {}).sum = sample.value;
  return [...series.values()];
}
