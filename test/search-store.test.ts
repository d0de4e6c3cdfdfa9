import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { candidateName, candidateSpecText } from '../src/search/candidate.js';
import { metricsLine } from '../src/search/evaluate.js';
import { canonicalJson, evalKey, latencyKey, networkFingerprint } from '../src/search/key.js';
import { paretoFront, rankOrder } from '../src/search/rank.js';
import { parseShard, shardSlice } from '../src/search/shard.js';
import { comparable, mergeStores, parseStore, STORE_HEADER, StoreError, storeText, type EvalRecord } from '../src/search/store.js';

// The pieces of `effnet search --eval`: record keys, the store's format, metrics lines, shards,
// ranking and Pareto fronts.

const spec = (extra = '') => `family f {
  input channels 1
  classes 10
  round channels divisor 8 min 8 limit 0.9
  round repeats ceil
  stem conv k3 s1 c16
  stage mbconv e4 k3 s2 c24 n1 se 0.25
  head conv k1 c64
  ${extra}
  resolution 28
  variant base { width 1.0 depth 1.0 resolution 28 }
  variant wide { width 1.5 depth 1.0 resolution 28 }
}
`;
const graph = (text: string, v: string) => compileSource(text, 'f.effnet', { variants: [v] }).graphs[0]!;
const ref = (network: string) => ({ network, resolution: 28, params: 1000, macs: 2000 });

describe('record keys', () => {
  it('name the network as built, not the spec text: comments and a compound line change nothing, width does', () => {
    const a = networkFingerprint(graph(spec(), 'base'));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(networkFingerprint(graph(spec('// a comment\n  compound alpha 1.2 beta 1.1 gamma 1.15'), 'base'))).toBe(a);
    expect(networkFingerprint(graph(spec(), 'wide'))).not.toBe(a);
  });

  it('differ by evaluator command and by every measure setting', () => {
    const n = ref('ab'.repeat(32));
    expect(evalKey(n, 'node ev.mjs')).not.toBe(evalKey(n, 'node ev.mjs --epochs 2'));
    const m = { target: 'wgsl' as const, runs: 10, warmup: 3, batch: 1 };
    const keys = [latencyKey(n, m), latencyKey(n, { ...m, runs: 11 }), latencyKey(n, { ...m, warmup: 2 }), latencyKey(n, { ...m, batch: 2 }), latencyKey(n, { ...m, target: 'tfjs-wasm' })];
    expect(new Set(keys).size).toBe(5);
    expect(evalKey(n, 'x')).toBe(evalKey({ ...n }, 'x'));
  });

  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});

const rec = (key: string, metrics: Record<string, number> | null, seconds = 1): EvalRecord => ({
  key: key.repeat(64).slice(0, 64),
  kind: 'eval',
  network: ref('cd'.repeat(32)),
  command: 'sh ev.sh',
  ...(metrics ? { metrics } : { error: 'exit code 3' }),
  seconds,
});

describe('the store format', () => {
  it('reads its records; a cut-short last line is reported, not read', () => {
    const text = storeText([rec('b', { top1: 0.5 }), rec('a', null)]);
    expect(text.split('\n')[0]).toBe(STORE_HEADER);
    expect(text.split('\n')[1]).toContain('"key":"aaaa');
    const s = parseStore(text, 's.jsonl');
    expect(s).toMatchObject({ truncated: false, whole: text.length });
    expect(s.records.map((r) => r.key[0])).toEqual(['a', 'b']);
    const cut = text + JSON.stringify(rec('c', { top1: 1 })).slice(0, 40);
    const t = parseStore(cut, 's.jsonl');
    expect(t).toMatchObject({ truncated: true, whole: text.length });
    expect(t.records).toHaveLength(2);
  });

  it('refuses what is not a store, and names a damaged line', () => {
    expect(() => parseStore('', 'x')).toThrow(new StoreError('x is not an effnet search store (its first line is not {"effnetSearchStore":1}); name another file'));
    expect(() => parseStore('family f {}\n', 'x')).toThrow(StoreError);
    expect(() => parseStore(`${STORE_HEADER}\n{"key":"zz"}\n`, 'x')).toThrow('x:2: not a search record (no sha256 `key`); fix or delete that line');
    expect(() => parseStore(`${STORE_HEADER}\nnot json\n{}\n`, 'x')).toThrow('x:2: not a JSON line');
    const noMetrics = { ...rec('a', { top1: 1 }), metrics: { top1: 'high' } };
    expect(() => parseStore(`${STORE_HEADER}\n${JSON.stringify(noMetrics)}\n`, 'x')).toThrow('neither `metrics` of numbers nor `error`');
  });

  it('merges by key: identical records once (timings aside), different ones reported', () => {
    const m = mergeStores([
      { shown: 'a', records: [rec('a', { top1: 0.5 }, 1), rec('b', null)] },
      { shown: 'b', records: [rec('a', { top1: 0.5 }, 7), rec('c', { top1: 0.2 })] },
    ]);
    expect(m.records.map((r) => r.key[0])).toEqual(['a', 'b', 'c']);
    expect(m.duplicates).toBe(1);
    expect(m.conflicts).toEqual([]);
    const n = mergeStores([
      { shown: 'a', records: [rec('a', { top1: 0.5 })] },
      { shown: 'b', records: [rec('a', { top1: 0.6 })] },
    ]);
    expect(n.conflicts).toEqual([{ key: 'a'.repeat(64), first: 'a', second: 'b' }]);
    expect(comparable(rec('a', { top1: 1 }, 1))).toBe(comparable(rec('a', { top1: 1 }, 99)));
  });

  it('a key written twice (a retried failure) counts as its last record', () => {
    const m = mergeStores([{ shown: 'a', records: [rec('a', null), rec('a', { top1: 0.9 })] }]);
    expect(m.records).toHaveLength(1);
    expect((m.records[0] as EvalRecord).metrics).toEqual({ top1: 0.9 });
  });
});

describe('metrics on stdout', () => {
  it('the last line that is a JSON object of numbers', () => {
    expect(metricsLine('epoch 1\n{"top1": 0.5}\n{"top1": 0.7, "loss": 1.2}\nbye\n')).toEqual({ top1: 0.7, loss: 1.2 });
    expect(metricsLine('{"top1": 0.5}\n{"top1": "0.7"}\n[1]\n{}\n{"a": 1\n')).toEqual({ top1: 0.5 });
    expect(metricsLine('no json\n')).toBeUndefined();
    const proto = metricsLine('{"__proto__": 1}')!;
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });
});

describe('shards', () => {
  it('I/N takes every N-th from I: disjoint, covering', () => {
    const items = [0, 1, 2, 3, 4, 5, 6];
    const parts = [0, 1, 2].map((i) => shardSlice(items, { index: i, count: 3 }));
    expect(parts).toEqual([[0, 3, 6], [1, 4], [2, 5]]);
    expect(parseShard(' 2/3 ')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1', '-1/3', '0/0', 'a/b']) expect(parseShard(bad)).toMatch(/^--shard takes I\/N/);
  });
});

describe('ranking', () => {
  const rows = [
    { macs: 10, metrics: { top1: 0.7 }, latencyMs: 5 },
    { macs: 8, metrics: { top1: 0.7 }, latencyMs: 9 },
    { macs: 12, metrics: { top1: 0.9 }, latencyMs: 6 },
    { macs: 9 },
    { macs: 11, metrics: { top1: 0.6 }, latencyMs: 4 },
  ];
  it('by a metric, higher first, ties to fewer MACs, rows without it last; by latency or MACs, lower first', () => {
    expect(rankOrder(rows, { kind: 'metric', name: 'top1' })).toEqual([2, 1, 0, 4, 3]);
    expect(rankOrder(rows, { kind: 'latency' })).toEqual([4, 0, 2, 1, 3]);
    expect(rankOrder(rows, { kind: 'macs' })).toEqual([1, 3, 0, 4, 2]);
  });

  it('Pareto fronts: metric against MACs, metric against latency', () => {
    const top1 = rows.map((r) => r.metrics?.top1);
    expect(paretoFront(rows.map((r, i) => ({ gain: top1[i], cost: r.macs })))).toEqual([false, true, true, false, false]);
    expect(paretoFront(rows.map((r, i) => ({ gain: top1[i], cost: r.latencyMs })))).toEqual([true, false, true, false, true]);
  });
});

describe('the candidate spec', () => {
  it('is the spec with a variant of the base’s own statements (not its scaling or eval crop) and the candidate’s width, depth and resolution', () => {
    const text = spec().replace('variant wide { width 1.5', 'variant wide { dropout 0.3 preprocess resize 32 crop 28 bilinear width 1.5');
    const out = candidateSpecText(text, compileSource(text, 'f.effnet').ast, 'wide', { width: 1.65, depth: 1.1, resolution: 32 }, 'search_a1_1_b1_1_g1_15');
    expect(out).toBe(text.replace(/\n\}\n$/, '\n\n  // Added by `effnet search`: one candidate of the grid.\n  variant search_a1_1_b1_1_g1_15 { dropout 0.3 width 1.65 depth 1.1 resolution 32 }\n}\n'));
    const g = compileSource(out, 'f.effnet', { variants: ['search_a1_1_b1_1_g1_15'] });
    expect(g.diagnostics).toEqual([]);
    expect(g.graphs[0]).toMatchObject({ width: 1.65, depth: 1.1, resolution: 32 });
    expect(g.graphs[0]!.classifier?.dropout).toBe(0.3);
    expect(candidateName({ alpha: 1.1, beta: 1, gamma: 1.15 }, new Set(['search_a1_1_b1_g1_15']))).toBe('search_a1_1_b1_g1_15_');
  });
});
