import * as Plot from '@observablehq/plot';
import type { VariantCost } from '../../cost/cost.js';
import { grouped, mib } from '../format.js';
import type { LivenessStep } from '../liveness.js';
import { stageName } from './architecture.js';
import { figure, type Figure } from './render.js';

// One variant's cost by stage: each stage's share of MACs and params, and the
// bytes an inference holds at each layer (its peak is the report's "peak").

const SHARE_COLORS = ['#efb118', '#4269d0'];
const METRICS = ['MACs', 'params'];

export function shareFigure(v: VariantCost): Figure {
  const rows = v.stages.flatMap((s) =>
    METRICS.map((metric) => {
      const [part, whole] = metric === 'MACs' ? [s.macs, v.macs] : [s.params, v.params];
      const share = whole === 0 ? 0 : (100 * part) / whole;
      return { stage: stageName(s), metric, share, title: `stage ${stageName(s)}: ${grouped(part)} ${metric} (${share.toFixed(1)}%)` };
    }),
  );
  const margin = { left: 44, right: 16 };
  const width = Math.max(360, Math.min(500, margin.left + margin.right + 36 * v.stages.length));
  // Two bars per stage side by side: each insets half of the band from the other's side.
  const half = (width - margin.left - margin.right) / v.stages.length / 2;
  return figure({
    width,
    height: 220,
    marginLeft: margin.left,
    marginRight: margin.right,
    marginBottom: 30,
    ariaLabel: 'stage shares',
    x: { type: 'band', domain: v.stages.map(stageName), label: null, padding: 0.15 },
    y: { label: 'share (%)', grid: true, domain: [0, Math.max(10, Math.ceil(Math.max(...rows.map((r) => r.share)) / 10) * 10)] },
    color: { domain: METRICS, range: SHARE_COLORS },
    marks: METRICS.map((metric, i) =>
      Plot.barY(
        rows.filter((r) => r.metric === metric),
        { x: 'stage', y: 'share', fill: 'metric', title: 'title', ariaDescription: `${metric} share`, ...(i === 0 ? { insetRight: half * 0.85 } : { insetLeft: half * 0.85 }) },
      ),
    ).concat([
      // The key, top right: the bar colours named.
      ...METRICS.map((metric, i) => Plot.text([metric], { frameAnchor: 'top-right', fill: SHARE_COLORS[i], dy: 12 * i, ariaDescription: 'key' })),
      Plot.ruleY([0]),
    ]),
  });
}

export function livenessFigure(v: VariantCost, steps: readonly LivenessStep[]): Figure {
  const points = steps.map((s, i) => ({ i, bytes: s.bytes, mib: s.bytes / 2 ** 20 }));
  const peak = points.reduce((a, p) => (p.bytes > a.bytes ? p : a), points[0]!);
  // A tick at each stage's first layer, named as the stage tables name it where
  // the name has room (the head and classifier are a layer or two each).
  const ticks: number[] = [];
  const labels = new Map<number, string>();
  let labelled = -Infinity;
  for (const [i, s] of steps.entries()) {
    const stage = v.stages.find((c) => c.index === s.stage);
    if (i === 0 || !stage || steps[i - 1]!.stage === s.stage) continue;
    ticks.push(i);
    if (i - labelled < steps.length / 40) continue;
    labels.set(i, stageName(stage));
    labelled = i;
  }
  const peakText = `peak ${mib(peak.bytes)} at ${steps[peak.i]!.layer}`;
  return figure({
    width: 500,
    height: 220,
    marginLeft: 52,
    marginRight: 16,
    marginBottom: 34,
    ariaLabel: 'activation memory',
    x: { label: 'layer (stage starts)', ticks, tickFormat: (t: number) => labels.get(t) ?? '', domain: [0, Math.max(1, points.length - 1)] },
    y: { label: 'held (MiB)', grid: true, zero: true },
    marks: [
      Plot.areaY(points, { x: 'i', y: 'mib', fill: '#4269d0', fillOpacity: 0.15 }),
      Plot.lineY(points, { x: 'i', y: 'mib', stroke: '#4269d0', strokeWidth: 1.2 }),
      Plot.ruleY([peak.mib], { stroke: '#ff725c', strokeDasharray: '3,3' }),
      Plot.dot([peak], { x: 'i', y: 'mib', fill: '#ff725c', r: 3, title: () => peakText, ariaDescription: 'peak' }),
      Plot.text([peak], { x: 'i', y: 'mib', text: () => peakText, dy: -8, textAnchor: peak.i > points.length / 2 ? 'end' : 'start', fill: '#ff725c', ariaDescription: 'peak label' }),
    ],
  });
}
