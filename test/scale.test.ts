import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { analyzeVariant } from '../src/cost/cost.js';
import { DiagnosticSink } from '../src/diagnostics/diagnostic.js';
import { parsePhis, scaleMarkdown } from '../src/cli/scale-command.js';
import { ScaleError, scaleTable } from '../src/search/scale.js';
import { withPhiVariants } from '../src/search/write-phi.js';
import { root } from './support/tfjs.js';

// `effnet scale`: the φ table of EfficientNet's compound rule (α 1.2, β 1.1, γ 1.15 on the
// B0 base at 224), each row the exact figures of the variant `phi N` derives.

const source = readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8');
const family = compileSource(source, 'specs/efficientnet.effnet', { irOnly: true }).family!;

describe('the φ table', () => {
  const sink = new DiagnosticSink('specs/efficientnet.effnet');
  const rows = scaleTable(family, [0, 1, 2, 3], sink);

  it('φ = 0 is B0: 5,288,548 parameters, 385,814,752 MACs', () => {
    expect(sink.items).toEqual([]);
    expect(rows[0]).toMatchObject({ phi: 0, depth: 1, width: 1, resolution: 224, params: 5288548, macs: 385814752, ratio: 1, nominal: 1, drift: 0 });
  });

  it('each row has the exact MACs of the variant `phi N` compiles to, and its drift from 2^φ', () => {
    const withPhis = withPhiVariants(source, compileSource(source, 'specs/efficientnet.effnet').ast, [1, 2, 3]);
    const graphs = compileSource(withPhis, 'specs/efficientnet.effnet', { variants: ['phi1', 'phi2', 'phi3'] }).graphs;
    expect(graphs.map((g) => g.resolution)).toEqual([258, 296, 341]);
    for (const [i, g] of graphs.entries()) {
      const row = rows[i + 1]!;
      const cost = analyzeVariant(g);
      expect([row.params, row.macs, row.resolution]).toEqual([cost.params, cost.macs, g.resolution]);
      expect(row.ratio).toBe(cost.macs / 385814752);
      expect(row.drift).toBeCloseTo(row.ratio / 2 ** row.phi - 1, 12);
      expect(row.nominal).toBeCloseTo((1.2 * 1.1 ** 2 * 1.15 ** 2) ** row.phi, 12);
    }
    // Rounding moves φ = 1 away from the nominal 1.92×: the exact ratio is what the table shows.
    expect(rows[1]!.ratio).not.toBeCloseTo(rows[1]!.nominal, 2);
  });

  it('renders the table', () => {
    const md = scaleMarkdown('efficientnet', rows);
    expect(md).toContain('| 0 | 1.000 | 1.000 | 224 | 5,288,548 | 385.8 M | 1.000 | 1.000 | 1 | +0.0 % |');
  });

  it('a family without compound coefficients or a base resolution says which', () => {
    const bare = compileSource('family f {\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 c8\n  variant v { resolution 32 }\n}\n', 'f.effnet').family!;
    expect(() => scaleTable(bare, [1], new DiagnosticSink('f.effnet'))).toThrow(new ScaleError('family `f` has no compound coefficients: add `compound alpha 1.2 beta 1.1 gamma 1.15`'));
  });
});

describe('--phi', () => {
  it('takes a range or a list', () => {
    expect(parsePhis('0..3')).toEqual([0, 1, 2, 3]);
    expect(parsePhis('2,0,1.5')).toEqual([0, 1.5, 2]);
    expect(() => parsePhis('x')).toThrow(/--phi takes a range such as 0\.\.7/);
    expect(() => parsePhis('0..99')).toThrow(/each in -20\.\.20/);
  });
});

describe('--write', () => {
  it('adds `variant phiN { phi N }` lines after the last variant, keeps every other line, and is idempotent', () => {
    const ast = compileSource(source, 'x.effnet').ast;
    const once = withPhiVariants(source, ast, [0, 1]);
    expect(once).toMatch(/\n  variant l2 \{[^}\n]*\}\n  variant phi0 \{ phi 0 \}\n  variant phi1 \{ phi 1 \}\n\}\n$/);
    // Every original line, comments included, is still there in order.
    const kept = once.split('\n').filter((l) => !/variant phi\d/.test(l));
    expect(kept).toEqual(source.split('\n'));
    expect(withPhiVariants(once, compileSource(once, 'x.effnet').ast, [0, 1])).toBe(once);
  });

  it('rewrites an existing phiN variant in place, and writes into a family without variants', () => {
    const text = 'family f { // base\n  compound alpha 1.2 beta 1.1 gamma 1.15\n  resolution 64\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 c8\n  variant phi1 { width 2 } // mine\n}\n';
    const out = withPhiVariants(text, compileSource(text, 'f.effnet').ast, [1, 2]);
    expect(out).toBe('family f { // base\n  compound alpha 1.2 beta 1.1 gamma 1.15\n  resolution 64\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 c8\n  variant phi1 { phi 1 } // mine\n  variant phi2 { phi 2 }\n}\n');
    const none = 'family f {\n  compound alpha 1.2 beta 1.1 gamma 1.15\n  resolution 64\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 c8\n}\n';
    const added = withPhiVariants(none, compileSource(none, 'f.effnet').ast, [0]);
    expect(added).toBe(none.replace('c8\n}', 'c8\n  variant phi0 { phi 0 }\n}'));
    expect(compileSource(added, 'f.effnet').diagnostics).toEqual([]);
  });
});

describe('effnet scale and effnet search (the built CLI)', () => {
  const run = (args: string[], cwd: string) => {
    const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
    return { code: p.status, stdout: p.stdout, stderr: p.stderr };
  };

  it('scale prints the table; --write adds the φ variants once, keeping comments; a bad --phi is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'effnet-scale-'));
    writeFileSync(join(dir, 'e.effnet'), source);
    const table = run(['scale', 'e.effnet', '--phi', '0..1'], dir);
    expect([table.code, table.stderr]).toEqual([0, '']);
    expect(table.stdout).toContain('| 1 | 1.200 | 1.100 | 258 | 9,109,994 | 992.6 M | 2.573 | 1.920 | 2 | +28.6 % |\n');
    expect(run(['scale', 'e.effnet', '--phi', '0..1', '--write'], dir).stderr).toBe('effnet: wrote e.effnet: variant lines for φ = 0, 1\n');
    const written = readFileSync(join(dir, 'e.effnet'), 'utf8');
    expect(written).toBe(source.replace(/\n\}\n$/, '\n  variant phi0 { phi 0 }\n  variant phi1 { phi 1 }\n}\n'));
    expect(run(['scale', 'e.effnet', '--phi', '0..1', '--write'], dir).stderr).toBe('effnet: e.effnet already has the φ variants\n');
    expect(readFileSync(join(dir, 'e.effnet'), 'utf8')).toBe(written);
    const bad = run(['scale', 'e.effnet', '--phi', 'all'], dir);
    expect([bad.code, bad.stderr]).toEqual([2, 'effnet: --phi takes a range such as 0..7 or a list such as 0,1,2 (each in -20..20), not "all"\n']);
  });

  it('search lists candidates within the budget and the chosen line; JSON has every candidate', () => {
    const md = run(['search', join(root, 'specs/efficientnet.effnet'), '--max', '1.15', '--top', '3'], root);
    expect([md.code, md.stderr]).toEqual([0, '']);
    expect(md.stdout).toMatch(/Chosen \(closest to 2×\): `compound alpha [\d.]+ beta [\d.]+ gamma [\d.]+`\n$/);
    const json = JSON.parse(run(['search', join(root, 'specs/efficientnet.effnet'), '--max', '1.15', '--format', 'json'], root).stdout) as { candidates: { accepted: boolean }[] };
    expect(json.candidates.length).toBeGreaterThan(json.candidates.filter((c) => c.accepted).length);
    const dir = mkdtempSync(join(tmpdir(), 'effnet-search-'));
    writeFileSync(join(dir, 'e.effnet'), source);
    const wrote = run(['search', 'e.effnet', '--max', '1.15', '--write'], dir);
    expect(wrote.stderr).toMatch(/^effnet: wrote e\.effnet: compound alpha [\d.]+ beta [\d.]+ gamma [\d.]+\n$/);
    const chosen = /compound alpha [\d.]+ beta [\d.]+ gamma [\d.]+/.exec(wrote.stderr)![0];
    expect(readFileSync(join(dir, 'e.effnet'), 'utf8')).toBe(source.replace('compound alpha 1.2 beta 1.1 gamma 1.15', chosen));
    const none = run(['search', join(root, 'specs/efficientnet.effnet'), '--flops', '8x', '--max', '1.05'], root);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('No candidate is within the tolerance.');
  });
});
