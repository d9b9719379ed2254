/**
 * Statistics and the markdown table of the gateway benchmarks (`hub.bench.ts`,
 * `independent.bench.ts`): every figure printed as its value and its ratio against a baseline of
 * the same run.
 */

/** The value below which `fraction` of `values` lie (nearest rank). */
export function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

export type Better = 'lower' | 'higher';

/** One row of a table. */
export interface Figure {
  label: string;
  unit: string;
  better: Better;
  digits: number;
  /** One value per contender (undefined: not applicable). */
  values: Array<number | undefined>;
  /** The baseline to divide by, when it is not the first value. */
  baseline?: number;
  /**
   * Per column, the index of the column it is divided by (undefined: the value alone), when the
   * columns have baselines of their own. @default every column against the first
   */
  ratioTo?: Array<number | undefined>;
  /** Context only: not one of the figures the targets speak of. */
  informational?: boolean;
}

export function format(value: number, digits: number): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function ratioCell(figure: Figure, value: number, index: number): string {
  const absolute = format(value, figure.digits);
  let base: number | undefined;
  if (figure.ratioTo) {
    const column = figure.ratioTo[index];
    base = column === undefined ? undefined : figure.values[column];
  } else {
    base =
      index === 0 && figure.baseline === undefined
        ? undefined
        : (figure.baseline ?? figure.values[0]);
  }
  return base === undefined ? absolute : `${absolute} (${(value / base).toFixed(2)}×)`;
}

/** A markdown table: the first column the figures' labels, then one column per header. */
export function renderTable(headers: string[], figures: Figure[]): string {
  const rows = figures.map((figure) => [
    `${figure.label} (${figure.unit})`,
    ...figure.values.map((value, index) =>
      value === undefined ? 'n/a' : ratioCell(figure, value, index),
    ),
  ]);
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] as string).length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((text, column) => (column === 0 ? text.padEnd(widths[column] as number) : text.padStart(widths[column] as number))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function megabytes(bytes: number): number {
  return bytes / 1024 / 1024;
}
