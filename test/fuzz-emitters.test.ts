import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { emitNetwork } from '../src/emit/network.js';
import { REPORT_FORMATS, renderReport, reportInput } from '../src/report/report.js';
import { emitTfjs } from '../src/tfjs/emit.js';
import { emitWgsl } from '../src/wgsl/emit.js';
import { fuzzParams, fuzzTimeout, savingFailuresAsync } from './support/fuzz-budget.js';
import { randomSpec } from './support/random-spec.js';
import { runCli, tempDirs } from './support/cli.js';

// The generative fuzzer: random valid specs through every emitter (reports in every
// format, network.ts, the tfjs and the WGSL model) and through `effnet generate`
// itself. A spec that `check` accepts must build on every target: any exception,
// any exit 70, any emitted TypeScript that does not parse fails. (The tfjs/WGSL
// numbers are compared in test/wgsl-differential.test.ts.)

const tempDir = tempDirs('effnet-fuzz-');

/** Syntax errors in an emitted TypeScript module, as text. */
function syntaxErrors(name: string, source: string): string[] {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS) as ts.SourceFile & { parseDiagnostics?: ts.Diagnostic[] };
  return (file.parseDiagnostics ?? []).map((d) => `${name}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

const specs = fc.oneof(randomSpec(), randomSpec({ maxStages: 6, maxChannels: 96, maxExtraResolution: 64 }));

describe('random valid specs through every emitter', () => {
  it('compile without errors, and every report format and model source is emitted and parses', async () => {
    await fc.assert(
      fc.asyncProperty(specs, (spec) =>
        savingFailuresAsync(spec.text, 'emitters', async () => {
          const c = compileSource(spec.text, 'random.effnet');
          expect(c.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          const input = reportInput('random', 'random.effnet', c.graphs);
          for (const format of REPORT_FORMATS) expect(renderReport(input, format, { perLayer: true }).length).toBeGreaterThan(0);
          JSON.parse(renderReport(input, 'json', {}));
          for (const g of c.graphs) {
            const sources = {
              'network.ts': await emitNetwork(g, { spec: 'random.effnet' }),
              'model.tfjs.ts': await emitTfjs(g, { spec: 'random.effnet', tfjsModule: '@tensorflow/tfjs' }),
              'model.wgsl.ts': await emitWgsl(g, { spec: 'random.effnet' }),
            };
            for (const [name, source] of Object.entries(sources)) expect(syntaxErrors(name, source)).toEqual([]);
          }
        }),
      ),
      fuzzParams(300),
    );
  }, fuzzTimeout(300_000));

  it('`effnet check` then `effnet generate` on the file: a spec check accepts generates (exit 0, never 70), and --check then finds it current', async () => {
    const dir = tempDir();
    const run = async (args: string[]) => {
      const { code, stderr } = await runCli(args, dir);
      return { code, stderr };
    };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(specs, (spec) =>
        savingFailuresAsync(spec.text, 'generate', async () => {
          const file = `s${n++}.effnet`;
          writeFileSync(join(dir, file), spec.text);
          expect(await run(['check', file])).toEqual({ code: 0, stderr: '' });
          expect(await run(['generate', file, '--out', `out${n}`])).toEqual({ code: 0, stderr: '' });
          expect(await run(['generate', file, '--out', `out${n}`, '--check'])).toEqual({ code: 0, stderr: '' });
        }),
      ),
      fuzzParams(40),
    );
  }, fuzzTimeout(300_000));
});

describe('the emitter fuzzer bites', () => {
  it('syntaxErrors finds a broken module', () => {
    expect(syntaxErrors('m.ts', 'export const x = ;')).toHaveLength(1);
    expect(syntaxErrors('m.ts', 'export const x = 1;')).toEqual([]);
  });
});
