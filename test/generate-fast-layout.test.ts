import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFile, compileSource } from '../src/compile/compile.js';
import { emitNetwork, networkLaidOut } from '../src/emit/network.js';
import { broken, flat, layout, NotCanonical } from '../src/emit/layout.js';
import { formatTypeScript } from '../src/emit/typescript.js';
import { specFiles } from '../src/generate/generate.js';
import { fuzzParams } from './support/fuzz-budget.js';
import { randomSpec } from './support/random-spec.js';

// `network.ts` is laid out without prettier (src/emit/layout.ts) when its layout is known;
// these tests hold that text to prettier's, byte for byte, and check the way back to
// prettier where the layout is not modelled.

const root = join(import.meta.dirname, '..');

describe('network.ts laid out directly', () => {
  it('is used for every variant of every shipped spec, and is exactly prettier\'s output', async () => {
    let variants = 0;
    for (const spec of specFiles(join(root, 'specs'))) {
      const c = compileFile(spec, {});
      const shown = `specs/${spec.split('/').pop()}`;
      for (const [i, g] of c.graphs.entries()) {
        const direct = networkLaidOut(g, { spec: shown });
        expect(direct, `${shown} ${g.variant} fell back to prettier`).toBeDefined();
        // prettier takes a quarter of a second a file: the last (largest) variant of each family.
        if (i === c.graphs.length - 1) expect(direct).toBe(await emitNetwork(g, { spec: shown, viaPrettier: true }));
        variants++;
      }
    }
    expect(variants).toBeGreaterThan(50);
  }, 120_000);

  it('is exactly prettier\'s output for random specs (every block type, features, odd sizes)', async () => {
    let direct = 0;
    await fc.assert(
      fc.asyncProperty(randomSpec(), async (spec) => {
        const c = compileSource(spec.text, 'random.effnet');
        for (const g of c.graphs) {
          const laid = networkLaidOut(g, { spec: 'random.effnet' });
          if (laid === undefined) continue;
          direct++;
          expect(laid).toBe(await emitNetwork(g, { spec: 'random.effnet', viaPrettier: true }));
        }
      }),
      fuzzParams(20),
    );
    expect(direct).toBeGreaterThan(0);
  }, 120_000);

  it('leaves to prettier what it cannot lay out, and the result is the same as prettier\'s', async () => {
    const g = compileFile(join(root, 'specs/efficientnet.effnet'), { variants: ['b0'] }).graphs[0]!;
    // A quote: prettier picks the quote character; too long: prettier breaks the import.
    const cases = [
      ["it's/runtime", `import type { Builder, NormSpec } from "it's/runtime";`],
      [`file:///${'very-long-folder/'.repeat(8)}runtime/spec.js`, 'import type {\n  Builder,\n  NormSpec,\n}'],
    ];
    for (const [runtimeModule, expected] of cases) {
      expect(networkLaidOut(g, { spec: 'x.effnet', runtimeModule })).toBeUndefined();
      const viaPrettier = await emitNetwork(g, { spec: 'x.effnet', runtimeModule, viaPrettier: true });
      expect(await emitNetwork(g, { spec: 'x.effnet', runtimeModule })).toBe(viaPrettier);
      expect(viaPrettier).toContain(expected);
    }
  });
});

describe('the data layout', () => {
  const prettierLayout = async (lead: string, value: unknown) => (await formatTypeScript(`${lead}${flatOrBroken(value)};`)).trimEnd();
  const flatOrBroken = (value: unknown) => flat(value) ?? broken(value, 0);

  it('matches prettier on objects and arrays around the print width', async () => {
    const lead = 'const v = ';
    const cases: unknown[] = [
      { a: 1, b: 'x'.repeat(95) },
      { a: 1, b: 'x'.repeat(110) },
      { list: [{ a: 1, b: 2 }, { a: 3, b: 4 }] },
      { list: [{ a: 1 }, { a: 3 }] },
      [[1, 2], [3, 4]],
      { nested: { deeper: { deepest: 'y'.repeat(90) }, other: [1, 2, 3] }, after: 1e21, small: 1e-7, neg: -0 },
      { empty: {}, none: [], nil: null, yes: true },
    ];
    for (const v of cases) expect(`${lead}${layout(v, lead.length, 0, 1)};`).toBe(await prettierLayout(lead, v));
  });

  it('refuses what it does not model', () => {
    expect(() => layout({ s: "it's" }, 0, 0, 0)).toThrow(NotCanonical);
    expect(() => layout({ 'not-an-identifier': 1 }, 0, 0, 0)).toThrow(NotCanonical);
    expect(() => layout(Array.from({ length: 60 }, (_, i) => i), 0, 0, 0)).toThrow(NotCanonical);
    expect(() => layout({ s: 'é' }, 0, 0, 0)).toThrow(NotCanonical);
  });
});
