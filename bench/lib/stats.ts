/**
 * Small statistics helpers shared by the bench sections (Node side; the browser pages compute
 * their own with the same definitions: nearest-rank percentiles).
 */

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/**
 * A latency histogram that merges across processes: fixed 0.1 ms buckets up to 5 s, plus an
 * overflow count (with the exact maximum kept). Percentiles are bucket upper bounds.
 */
export const HISTOGRAM_BUCKET_MS = 0.1;
const HISTOGRAM_BUCKETS = 50_000;

export interface HistogramData {
  /** Sparse: bucket index -> count. */
  buckets: Record<number, number>;
  overflow: number;
  count: number;
  sum: number;
  max: number;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(HISTOGRAM_BUCKETS);
  private overflow = 0;
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const value = Math.max(0, ms);
    const index = Math.floor(value / HISTOGRAM_BUCKET_MS);
    if (index < HISTOGRAM_BUCKETS) this.counts[index]! += 1;
    else this.overflow += 1;
    this.count += 1;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  toJSON(): HistogramData {
    const buckets: Record<number, number> = {};
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) if (this.counts[i]) buckets[i] = this.counts[i]!;
    return { buckets, overflow: this.overflow, count: this.count, sum: this.sum, max: this.max };
  }
}

export function mergeHistograms(parts: readonly HistogramData[]): HistogramData {
  const merged: HistogramData = { buckets: {}, overflow: 0, count: 0, sum: 0, max: 0 };
  for (const part of parts) {
    for (const [index, count] of Object.entries(part.buckets)) merged.buckets[Number(index)] = (merged.buckets[Number(index)] ?? 0) + count;
    merged.overflow += part.overflow;
    merged.count += part.count;
    merged.sum += part.sum;
    merged.max = Math.max(merged.max, part.max);
  }
  return merged;
}

export function summarizeHistogram(data: HistogramData): Summary {
  const indices = Object.keys(data.buckets)
    .map(Number)
    .sort((a, b) => a - b);
  const at = (p: number): number => {
    if (data.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * data.count));
    let seen = 0;
    for (const index of indices) {
      seen += data.buckets[index]!;
      if (seen >= rank) return Math.min((index + 1) * HISTOGRAM_BUCKET_MS, data.max);
    }
    return data.max; // in the overflow
  };
  return {
    count: data.count,
    mean: data.count ? data.sum / data.count : Number.NaN,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: data.count ? data.max : Number.NaN,
  };
}

export function round(value: number | null | undefined, digits = 1): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
