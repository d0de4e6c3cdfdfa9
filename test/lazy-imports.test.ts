import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { effnetModulesOf, packagesOf, root, runLogged } from './support/imports.js';

// Each command loads what it runs, and no more (issue 15, item 5): `check`, `report` and
// `diff` load no emitter, no formatter (prettier), no TypeScript compiler (ts-morph) and no
// TensorFlow.js, WebGPU or ONNX Runtime. Run on the built CLI: `npm run build` first.

const HEAVY = ['ts-morph', 'typescript', 'prettier', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'webgpu', 'onnxruntime-node', 'onnxruntime-web', 'protobufjs', 'vscode-languageserver'];
const EMITTERS = /^(emit\/(network|typescript|writer|layout)|tfjs\/|wgsl\/|onnx\/|generate\/generate)/;

beforeAll(() => {
  expect(existsSync(join(root, 'dist/src/cli/main.js')), 'run `npm run build` first').toBe(true);
});

describe('what a command loads', () => {
  it('check: the compiler only', () => {
    const r = runLogged(['check', 'specs/efficientnet.effnet'], root);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok specs/efficientnet.effnet: family efficientnet, 10 variants\n');
    const packages = packagesOf(r.modules);
    // The log sees what the command loads: the parser's library is there.
    expect(packages).toContain('chevrotain');
    for (const p of [...HEAVY, '@observablehq/plot', 'linkedom']) expect(packages).not.toContain(p);
    const own = effnetModulesOf(r.modules);
    expect(own).toContain('compile/compile.js');
    expect(own.filter((m) => EMITTERS.test(m) || m.startsWith('report/'))).toEqual([]);
    // Nor what only writing or --format json|sarif needs (the writer brought node:crypto).
    expect(own.filter((m) => ['io/write.js', 'diagnostics/json.js', 'diagnostics/sarif.js'].includes(m))).toEqual([]);
    expect(r.modules).not.toContain('node:crypto');
  });

  it('report and diff: no emitter, formatter, TypeScript or model runtime', () => {
    for (const args of [
      ['report', 'specs/mobilenet_v3.effnet', '--format', 'json'],
      ['diff', 'specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b1'],
    ]) {
      const r = runLogged(args, root);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(100);
      for (const p of HEAVY) expect(packagesOf(r.modules), args[0]).not.toContain(p);
      expect(effnetModulesOf(r.modules).filter((m) => EMITTERS.test(m)), args[0]).toEqual([]);
    }
  });

  it('--help still lists every command (they all load for it)', () => {
    const r = runLogged(['--help'], root);
    expect(r.code).toBe(0);
    for (const command of ['check', 'report', 'ir', 'generate', 'grammar', 'diff', 'infer', 'validate-wgsl', 'demo', 'fmt', 'lsp', 'convert', 'scale', 'search', 'export'])
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
