import { readRegularFile, ReadError } from '../io/read.js';
import { UsageError } from './usage.js';

// `report --metrics FILE.json`: accuracy per variant for the scaling charts, the paper's
// Figure 1 axes. One JSON object of variant name → a number in [0, 1] (or a percentage).

export function readMetrics(path: string, shown: string): Record<string, number> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readRegularFile(path, `metrics ${shown}`, { maxBytes: 2 ** 20 }));
  } catch (e) {
    if (e instanceof ReadError) throw new UsageError(e.message);
    throw new UsageError(`metrics ${shown} is not UTF-8 text`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`metrics ${shown} is not JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`metrics ${shown} must be a JSON object of variant name → top-1, such as {"b0": 0.771}`);
  const metrics: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [name, x] of Object.entries(value)) {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 100) throw new UsageError(`metrics ${shown}: \`${name}\` must be a number (top-1 as a fraction or a percentage), not ${JSON.stringify(x)}`);
    metrics[name] = x;
  }
  // Fractions (every value at most 1) become the percentages the charts show.
  if (Object.values(metrics).every((x) => x <= 1)) for (const name of Object.keys(metrics)) metrics[name]! *= 100;
  return metrics;
}
