// Number formatting shared by the text reports: fixed, locale-independent.

/** 5288548 → "5,288,548" */
export function grouped(n: number): string {
  const s = Math.round(Math.abs(n)).toString();
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 385814752 → "385.8 M"; three significant digits at least one decimal. */
export function human(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(n) >= scale) return `${(n / scale).toFixed(n / scale >= 100 ? 1 : n / scale >= 10 ? 2 : 3)} ${unit}`;
  }
  return String(n);
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export const shape = (s: readonly number[]): string => s.join('×');

/** A multiplier as written: 1 → "1.0", 1.1 → "1.1", 1.3310000000000004 → "1.331". */
export function multiplier(x: number): string {
  const s = Number(x.toPrecision(6)).toString();
  return s.includes('.') ? s : `${s}.0`;
}
