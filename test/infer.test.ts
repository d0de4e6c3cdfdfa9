import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedTensors } from '../src/weights/layout.js';
import { parseSafetensors } from '../src/weights/safetensors.js';
import { writeSafetensors } from '../src/runtime/safetensors.js';
import { graphOf, maxAbsDiff, readF32, root } from './support/tfjs.js';

// `effnet infer` as users run it: the built binary, the generated module
// emitted on the fly, raw float32 in and out.

const narrow = join(root, 'test/fixtures/narrow');
const spec = join(narrow, 'narrow.effnet');
const effnet = (args: string[], cwd: string) => {
  const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'infer', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr };
};
const common = ['--variant', 'narrow', '--input', join(narrow, 'input.f32'), '--shape', '2,3,64,64'];

describe('effnet infer --target tfjs', () => {
  it('writes torchvision\'s logits within 1e-4 (wasm backend, torchvision layout)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'effnet-infer-'));
    const r = effnet([spec, ...common, '--weights', join(narrow, 'weights.safetensors'), '--out', 'logits.f32'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote logits\.f32: float32 logits \[2, 1000\] \(efficientnet_narrow narrow, tfjs on wasm, [\d.]+ ms\)\n$/);
    expect(maxAbsDiff(readF32(join(dir, 'logits.f32')), readF32(join(narrow, 'logits.f32')))).toBeLessThan(1e-4);
  });

  it('reads timm-named checkpoints with --layout timm, and runs on the cpu backend', () => {
    const dir = mkdtempSync(join(tmpdir(), 'effnet-infer-'));
    const g = graphOf('test/fixtures/narrow/narrow.effnet', 'narrow');
    const tv = parseSafetensors(readFileSync(join(narrow, 'weights.safetensors')));
    const timm = expectedTensors(g, 'timm');
    const renamed = expectedTensors(g, 'torchvision').map((e, i) => ({ name: timm[i]!.name, shape: e.shape, data: tv.tensors.get(e.name)!.data }));
    writeFileSync(join(dir, 'timm.safetensors'), writeSafetensors(renamed));
    const r = effnet([spec, ...common, '--weights', 'timm.safetensors', '--layout', 'timm', '--backend', 'cpu', '--out', 'logits.f32'], dir);
    expect(r.stderr).toBe('');
    expect(maxAbsDiff(readF32(join(dir, 'logits.f32')), readF32(join(narrow, 'logits.f32')))).toBeLessThan(1e-4);
  });

  it('--bench N prints latency JSON', () => {
    const r = effnet([spec, '--variant', 'narrow', '--weights', join(narrow, 'weights.safetensors'), '--bench', '3'], root);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ variant: 'narrow', target: 'tfjs', backend: 'wasm', batch: 1, runs: 3 });
    expect(j.minMs as number).toBeGreaterThan(0);
    expect(j.minMs as number).toBeLessThanOrEqual(j.medianMs as number);
    expect(j.medianMs as number).toBeLessThanOrEqual(j.maxMs as number);
  });

  const weights = readFileSync(join(narrow, 'weights.safetensors'));
  const failures: [string, (dir: string) => string[], number, RegExp][] = [
    ['a truncated checkpoint', (d) => (writeFileSync(join(d, 'w.st'), weights.subarray(0, 5000)), ['--weights', 'w.st']), 1, /w\.st: .*truncated/],
    ['a corrupted header', (d) => (writeFileSync(join(d, 'w.st'), Buffer.concat([weights.subarray(0, 20), Buffer.from('}}}}'), weights.subarray(24)])), ['--weights', 'w.st']), 1, /not valid JSON/],
    ['another model\'s checkpoint', () => ['--weights', join(root, 'test/fixtures/b0/weights.safetensors')], 1, /hold 114 tensors that efficientnet_narrow narrow \(torchvision layout\) does not have: `features\.2\.1\.block\.0\.0\.weight`/],
    ['a missing weights file', () => ['--weights', 'nope.safetensors'], 2, /weights nope\.safetensors: no such file/],
    ['input of the wrong size', (d) => (writeFileSync(join(d, 'w.st'), weights), ['--weights', 'w.st', '--shape', '1,3,64,64']), 2, /holds 98304 bytes; a float32 \[1, 3, 64, 64\] batch is 49152/],
    ['input channels the variant does not take', () => ['--weights', 'x', '--shape', '2,4,64,64'], 2, /takes 3-channel input \(N,3,H,W\), not 2,4,64,64/],
    ['the tensorflow backend, not installed', (d) => (writeFileSync(join(d, 'w.st'), weights), ['--weights', 'w.st', '--backend', 'tensorflow']), 2, /needs @tensorflow\/tfjs-node/],
  ];
  for (const [what, setup, code, message] of failures) {
    it(`${what}: exit ${code}, one clear line, no stack trace, nothing written`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'effnet-infer-'));
      const extra = setup(dir);
      const shapeGiven = extra.includes('--shape');
      const args = [spec, '--variant', 'narrow', '--input', join(narrow, 'input.f32'), ...(shapeGiven ? [] : ['--shape', '2,3,64,64']), ...extra, '--out', 'out.f32'];
      const r = effnet(args, dir);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'out.f32'))).toBe(false);
    });
  }

  it('an unknown variant is a usage error with the known ones', () => {
    const r = effnet([spec, '--variant', 'b9', '--weights', 'x', '--bench', '1'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('E037');
  });
});
