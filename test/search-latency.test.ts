import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { VariantGraph } from '../src/graph/graph.js';
import { parseStore, type LatencyRecord } from '../src/search/store.js';
import { runCli, tempDirs } from './support/cli.js';
import { GRID, SPEC } from './support/search-spec.js';

// `effnet search --measure` when the target cannot run a candidate (a MeasureError: a missing
// package, no adapter, a network past the adapter's limits): the reason is shown for that
// candidate, nothing is stored for it (the next run, maybe on another machine, tries again), and
// the search goes on. measureLatency is replaced here: the largest network fails, the others
// take 1 ms per 1,000 parameters.

vi.mock('../src/search/measure.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/search/measure.js')>();
  const { analyzeVariant } = await import('../src/cost/cost.js');
  return {
    ...real,
    measureLatency: async (g: VariantGraph, o: { target: 'wgsl' | 'tfjs-wasm'; runs: number; batch: number }) => {
      const params = analyzeVariant(g).params;
      if (params > 150_000) throw new real.MeasureError(`--measure ${o.target}: the network needs more storage buffers than the adapter allows`);
      const ms = params / 1000;
      return { target: o.target, medianMs: ms, minMs: ms, maxMs: ms, runs: o.runs, batch: o.batch, runtime: 'stand-in' };
    },
  };
});

const tmp = tempDirs('effnet-search-latency-');

describe('--measure', () => {
  it('ranks by latency, marks the fronts, shows a MeasureError per candidate and stores only measurements', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'tiny.effnet'), SPEC);
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--measure', 'wgsl', '--measure-runs', '3', '--format', 'json'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no latency: --measure wgsl: the network needs more storage buffers than the adapter allows');
    const o = JSON.parse(r.stdout);
    expect(o.rankBy).toEqual({ kind: 'latency' });
    expect(o.ranked.map((x: { params: number; latencyMs: number | null; rank: number | null }) => [x.params, x.latencyMs, x.rank]).slice(0, 3)).toEqual([
      [67916, 67.916, 1],
      [120402, 120.402, 2],
      [124354, 124.354, 3],
    ]);
    const failed = o.ranked.filter((x: { rank: number | null }) => x.rank === null);
    expect(failed).toHaveLength(5);
    expect(failed[0]).toMatchObject({ params: 180072, latencyMs: null, latencyError: '--measure wgsl: the network needs more storage buffers than the adapter allows' });
    const stored = parseStore(readFileSync(join(dir, 'tiny.search.jsonl'), 'utf8'), 's').records as LatencyRecord[];
    expect(stored.map((x) => [x.network.params, x.measure, x.latency!.medianMs]).sort()).toEqual([
      [120402, { target: 'wgsl', runs: 3, warmup: 3, batch: 1 }, 120.402],
      [124354, { target: 'wgsl', runs: 3, warmup: 3, batch: 1 }, 124.354],
      [67916, { target: 'wgsl', runs: 3, warmup: 3, batch: 1 }, 67.916],
    ]);
    // Markdown: the latency column, the spread, the chosen line.
    const md = await runCli(['search', 'tiny.effnet', ...GRID, '--measure', 'wgsl', '--measure-runs', '3'], dir);
    expect(md.stderr).toContain('effnet: tiny.search.jsonl: 0 evaluations run, 3 read from the store');
    expect(md.stdout).toContain('| 1 | 1.00 | 1.00 | 1.40 | 1.999 | 40 | 67,916 | 7.725 M | 67.92 | MACs |  |');
    expect(md.stdout).toContain('Latency: fastest 67.92 ms, slowest 124.35 ms (1.83× apart).');
    expect(md.stdout).toContain('Chosen (best latency): `compound alpha 1 beta 1 gamma 1.4`');
  });

  it('with an evaluator, marks the front of the metric against latency', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'tiny.effnet'), SPEC);
    // top1 = MACs: against MACs every network is on the front (more top1 always costs more).
    writeFileSync(join(dir, 'ev.sh'), 'echo "{\\"top1\\": $EFFNET_MACS}"\n');
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--measure', 'tfjs-wasm', '--format', 'json'], dir);
    const o = JSON.parse(r.stdout);
    const row = (params: number) => o.ranked.find((x: { params: number }) => x.params === params);
    // 67,916 params: the most top1 (7.725 M) and the fastest, so on both fronts, and it pushes
    // the others off the latency front.
    expect(row(67916)).toMatchObject({ rank: 1, front: { macs: true, latency: true } });
    expect(row(124354).front).toEqual({ macs: true, latency: false });
    expect(row(120402).front).toEqual({ macs: true, latency: false });
    // Not measured (the stand-in refuses it): on no latency front.
    expect(row(180072)).toMatchObject({ rank: 2, front: { macs: true, latency: false }, latencyMs: null });
  });

  it('--latency MS keeps the candidates measured within the tolerance of it, and evaluates only those', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'tiny.effnet'), SPEC);
    writeFileSync(join(dir, 'ev.sh'), 'echo "$EFFNET_PARAMS" >> calls.txt\necho "{\\"top1\\": 0.$EFFNET_PARAMS}"\n');
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--latency', '122', '--measure', 'wgsl', '--eval', 'sh ev.sh', '--format', 'json'], dir);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.constraint).toEqual({ kind: 'latency', ms: 122 });
    // 120.402 and 124.354 ms are within 5 % of 122 ms; 67.916 ms is not.
    const ranked = o.ranked as { params: number; resolution: number; rank: number; latencyMs: number }[];
    expect(new Set(ranked.map((x) => x.params))).toEqual(new Set([124354, 120402]));
    expect(ranked[0]).toMatchObject({ params: 124354, rank: 1, latencyMs: 124.354 });
    expect(ranked.every((x) => Math.abs(x.latencyMs / 122 - 1) <= 0.05)).toBe(true);
    // Evaluated: each network within (the stand-in's latency ignores resolution: one network a resolution), and no other.
    const calls = readFileSync(join(dir, 'calls.txt'), 'utf8').trim().split('\n');
    expect(new Set(calls)).toEqual(new Set(['120402', '124354']));
    expect(calls).toHaveLength(new Set(ranked.map((x) => `${x.params}@${x.resolution}`)).size);
    const md = await runCli(['search', 'tiny.effnet', ...GRID, '--latency', '122', '--measure', 'wgsl', '--eval', 'sh ev.sh'], dir);
    expect(md.stdout).toContain('Candidates within 5.0 % of 122 ms measured (of those built within a factor of 2 of 2× its MACs): 11,');
    const usage = await runCli(['search', 'tiny.effnet', ...GRID, '--latency', '122', '--eval', 'sh ev.sh'], dir);
    expect(usage).toMatchObject({ code: 2, stderr: 'effnet: --latency keeps the candidates measured within the tolerance of it: add --measure tfjs-wasm or --measure wgsl\n' });
  });
});
