import * as Plot from '@observablehq/plot';
import type { VariantCost } from '../../cost/cost.js';
import { grouped, multiplier } from '../format.js';
import type { SvgOptions } from './architecture.js';
import { figure, plain, stackSvg, type Figure } from './render.js';

// Scaling across a family's variants: params and MACs (log) against the
// variant, the width, depth and resolution multipliers, and with top-1
// figures the paper's Figure 1 axes (accuracy against params and MACs).

/** Top-1 accuracy (%) per variant name; variants without one are left out of the accuracy charts. */
export type Metrics = Readonly<Record<string, number>>;

const WIDTH = 500;
const HEIGHT = 260;
const SERIES = ['#4269d0', '#efb118', '#ff725c'];

/** 5288548 → "5.29M", 400000 → "400K": axis ticks. */
export function si(n: number): string {
  for (const [scale, unit] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ] as const)
    if (Math.abs(n) >= scale) return `${Number((n / scale).toPrecision(3))}${unit}`;
  return String(Number(n.toPrecision(3)));
}

/** A log axis: its domain padded a little, and ticks at powers of ten (with 2 and 5 between when the span is short). */
export function logAxis(values: readonly number[]): { domain: [number, number]; ticks: number[] } {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return { domain: [1, 10], ticks: [1, 10] };
  const lo = Math.min(...positive) / 1.25;
  const hi = Math.max(...positive) * 1.25;
  const ticks: number[] = [];
  const steps = Math.log10(hi / lo) < 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of steps) ticks.push(Number(`${m}e${e}`));
  return { domain: [lo, hi], ticks: ticks.filter((t) => t >= lo && t <= hi) };
}

interface Point {
  variant: string;
  series: string;
  value: number;
  title: string;
}

/** Lines with dots, one per series, each named at its last point. */
function seriesMarks(points: readonly Point[]) {
  const last = [...new Map(points.map((p) => [p.series, p])).values()];
  return [
    Plot.lineY(points, { x: 'variant', y: 'value', stroke: 'series', z: 'series', ariaDescription: 'series' }),
    Plot.dot(points, { x: 'variant', y: 'value', fill: 'series', r: 3, title: 'title', ariaDescription: 'variant' }),
    Plot.text(last, { x: 'variant', y: 'value', text: 'series', fill: 'series', dx: 8, textAnchor: 'start', ariaDescription: 'series name' }),
  ];
}

const variantAxis = (variants: readonly VariantCost[]) => ({ type: 'point' as const, domain: variants.map((v) => plain(v.name)), label: null, tickRotate: variants.length > 6 ? -30 : 0, padding: 0.3 });

export function costFigure(variants: readonly VariantCost[]): Figure {
  const points: Point[] = variants.flatMap((v) => [
    { variant: plain(v.name), series: 'params', value: v.params, title: `${plain(v.name)}: ${grouped(v.params)} params` },
    { variant: plain(v.name), series: 'MACs', value: v.macs, title: `${plain(v.name)}: ${grouped(v.macs)} MACs` },
  ]);
  return figure({
    width: WIDTH,
    height: HEIGHT,
    marginRight: 60,
    marginBottom: 40,
    ariaLabel: 'params and MACs per variant',
    x: variantAxis(variants),
    y: { type: 'log', label: 'params, MACs (log)', grid: true, tickFormat: si, ...logAxis(points.map((p) => p.value)) },
    color: { domain: ['params', 'MACs'], range: SERIES.slice(0, 2) },
    marks: seriesMarks(points.filter((p) => p.value > 0)),
  });
}

export function multiplierFigure(variants: readonly VariantCost[]): Figure {
  const base = variants[0]?.resolution ?? 1;
  const points: Point[] = variants.flatMap((v) => [
    { variant: plain(v.name), series: 'width', value: v.width, title: `${plain(v.name)}: width ×${multiplier(v.width)}` },
    { variant: plain(v.name), series: 'depth', value: v.depth, title: `${plain(v.name)}: depth ×${multiplier(v.depth)}` },
    { variant: plain(v.name), series: 'resolution', value: v.resolution / base, title: `${plain(v.name)}: resolution ${v.resolution} (×${multiplier(v.resolution / base)})` },
  ]);
  return figure({
    width: WIDTH,
    height: HEIGHT,
    marginRight: 72,
    marginBottom: 40,
    ariaLabel: 'width, depth and resolution multipliers per variant',
    x: variantAxis(variants),
    y: { label: `multiplier (resolution ÷ ${base})`, grid: true, zero: true },
    color: { domain: ['width', 'depth', 'resolution'], range: SERIES },
    marks: [Plot.ruleY([1], { strokeOpacity: 0.3 }), ...seriesMarks(points)],
  });
}

/** Top-1 against params or MACs (log x), the variants in order and named. */
export function accuracyFigure(variants: readonly VariantCost[], metrics: Metrics, against: 'params' | 'MACs'): Figure | null {
  const points = variants.flatMap((v) =>
    Object.hasOwn(metrics, v.name) && Number.isFinite(metrics[v.name])
      ? [{ variant: plain(v.name), x: against === 'params' ? v.params : v.macs, top1: metrics[v.name]!, title: `${plain(v.name)}: ${metrics[v.name]}% top-1, ${grouped(against === 'params' ? v.params : v.macs)} ${against}` }]
      : [],
  );
  if (points.length === 0) return null;
  return figure({
    width: WIDTH,
    height: HEIGHT,
    marginRight: 48,
    marginBottom: 40,
    ariaLabel: `top-1 accuracy against ${against}`,
    x: { type: 'log', label: `${against} (log)`, grid: true, tickFormat: si, ...logAxis(points.map((p) => p.x)) },
    y: { label: 'top-1 (%)', grid: true },
    marks: [
      Plot.line(points, { x: 'x', y: 'top1', stroke: SERIES[0] }),
      Plot.dot(points, { x: 'x', y: 'top1', fill: SERIES[0], r: 3, title: 'title', ariaDescription: 'variant' }),
      Plot.text(points, { x: 'x', y: 'top1', text: 'variant', dx: 6, dy: 8, textAnchor: 'start' }),
    ],
  });
}

export type ScalingChart = 'cost' | 'multipliers' | 'accuracy-params' | 'accuracy-macs';

/** Every scaling chart, in page order (the accuracy ones only where `metrics` has figures for these variants). */
export function scalingFigures(variants: readonly VariantCost[], metrics: Metrics = {}): { chart: ScalingChart; figure: Figure }[] {
  const charts: { chart: ScalingChart; figure: Figure | null }[] = [
    { chart: 'cost', figure: costFigure(variants) },
    { chart: 'multipliers', figure: multiplierFigure(variants) },
    { chart: 'accuracy-params', figure: accuracyFigure(variants, metrics, 'params') },
    { chart: 'accuracy-macs', figure: accuracyFigure(variants, metrics, 'MACs') },
  ];
  return charts.flatMap((c) => (c.figure ? [{ chart: c.chart, figure: c.figure }] : []));
}

export interface ScalingOptions extends SvgOptions {
  /** The family's name, for the document's title. */
  family?: string;
  metrics?: Metrics;
}

/** The scaling charts as one standalone SVG document (generated/<family>/scaling.svg). */
export function scalingSvg(variants: readonly VariantCost[], options: ScalingOptions = {}): string {
  const family = options.family ?? '';
  return stackSvg(scalingFigures(variants, options.metrics).map((c) => c.figure), { title: `${family}${family === '' ? '' : ': '}scaling`, banner: options.banner });
}
