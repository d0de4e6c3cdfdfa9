import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderCheck } from '../src/cli/check-output.js';
import { compileFile, compileSource } from '../src/compile/compile.js';
import { CODES } from '../src/diagnostics/codes.js';
import type { Diagnostic } from '../src/diagnostics/diagnostic.js';
import { renderJson } from '../src/diagnostics/json.js';
import { artifactUri, renderSarif } from '../src/diagnostics/sarif.js';

// `check --format json|sarif`: diagnostics for scripts and for GitHub code
// scanning. The SARIF is validated against the OASIS SARIF 2.1.0 JSON schema
// (test/fixtures/sarif-schema-2.1.0.json, draft-04, from oasis-tcs/sarif-spec).

const root = fileURLToPath(new URL('..', import.meta.url));
const schema = JSON.parse(readFileSync(join(root, 'test/fixtures/sarif-schema-2.1.0.json'), 'utf8'));
// CommonJS default exports, as NodeNext types them.
const Ajv = AjvDraft04 as unknown as typeof AjvDraft04.default;
const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as typeof addFormats.default)(ajv);
const validate = ajv.compile(schema);

const broken = (name: string) => {
  const file = `test/broken/${name}.effnet`;
  return compileSource(readFileSync(join(root, file), 'utf8'), file);
};

/** Diagnostics of every kind: an error with a hint, a warning, an unreadable file, odd file names. */
function sample(): Diagnostic[] {
  const missing = compileFile(join(root, 'no-such-dir/missing.effnet'));
  const odd = compileSource('family t {\n  frob 1\n}\n', 'my specs/ü #1.effnet', { irOnly: true });
  return [...broken('even_kernel').diagnostics, ...broken('compound_far_from_two').diagnostics, ...missing.diagnostics, ...odd.diagnostics.filter((d) => d.code === 'E003')];
}

describe('SARIF output', () => {
  const log = JSON.parse(renderSarif(sample(), { version: '0.1.0' }));

  it('validates against the SARIF 2.1.0 schema', () => {
    const ok = validate(log);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the validator rejects what the schema forbids (the check can fail)', () => {
    expect(validate({ ...log, version: '2.0.0' })).toBe(false);
    const bad = structuredClone(log);
    bad.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(validate(bad)).toBe(false);
    const badUri = structuredClone(log);
    badUri.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = 'my specs/a b.effnet';
    expect(validate(badUri)).toBe(false);
  });

  it('has one run of the tool effnet with every diagnostic code as a rule', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const { driver } = log.runs[0].tool;
    expect(driver.name).toBe('effnet');
    expect(driver.version).toBe('0.1.0');
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual(Object.keys(CODES));
    expect(driver.rules.find((r: { id: string }) => r.id === 'E020')).toEqual({ id: 'E020', shortDescription: { text: 'kernel size must be an odd integer ≥ 1' }, defaultConfiguration: { level: 'error' } });
    expect(driver.rules.find((r: { id: string }) => r.id === 'W034').defaultConfiguration.level).toBe('warning');
  });

  it('places each result on its file, line and columns (1-based, end exclusive)', () => {
    const results = log.runs[0].results;
    const rules = log.runs[0].tool.driver.rules;
    // test/broken/even_kernel.effnet says: `// expect: E020 5:20` (the `k` of `stage mbconv e6 k4`).
    expect(results[0]).toEqual({
      ruleId: 'E020',
      ruleIndex: Object.keys(CODES).indexOf('E020'),
      level: 'error',
      message: { text: expect.stringContaining('kernel') },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'test/broken/even_kernel.effnet' }, region: { startLine: 5, startColumn: 20, endLine: 5, endColumn: 21 } } }],
    });
    expect(results.map((r: { ruleId: string; level: string }) => `${r.ruleId} ${r.level}`)).toEqual(['E020 error', 'W034 warning', 'E006 error', 'E003 error']);
    for (const r of results) expect(rules[r.ruleIndex].id).toBe(r.ruleId);
    expect(results[2].locations[0].physicalLocation.artifactLocation.uri).toBe(`file://${join(root, 'no-such-dir/missing.effnet')}`);
    expect(results[3].locations[0].physicalLocation.artifactLocation.uri).toBe('my%20specs/%C3%BC%20%231.effnet');
    expect(results[3].locations[0].physicalLocation.region).toEqual({ startLine: 2, startColumn: 3, endLine: 2, endColumn: 7 });
  });

  it('adds the hint to the message', () => {
    const d = sample().find((x) => x.hint !== undefined)!;
    const one = JSON.parse(renderSarif([d])).runs[0].results[0];
    expect(one.message.text).toBe(`${d.message}\nhint: ${d.hint}`);
  });

  it('gives the first place of a duplicate as a related location, linked from the message, and still validates', () => {
    const diagnostics = [...broken('compound_given_twice').diagnostics, ...broken('duplicate_variant').diagnostics];
    const withRelated = JSON.parse(renderSarif(diagnostics));
    expect(validate(withRelated), ajv.errorsText(validate.errors)).toBe(true);
    const [compound, variant] = withRelated.runs[0].results;
    // test/broken/compound_given_twice.effnet: `compound` at 4:3, again at 11:3.
    expect(compound.locations[0].physicalLocation.region).toEqual({ startLine: 11, startColumn: 3, endLine: 11, endColumn: 11 });
    expect(compound.relatedLocations).toEqual([
      {
        id: 1,
        physicalLocation: { artifactLocation: { uri: 'test/broken/compound_given_twice.effnet' }, region: { startLine: 4, startColumn: 3, endLine: 4, endColumn: 11 } },
        message: { text: 'first given here' },
      },
    ]);
    expect(compound.message.text).toBe('`compound` is given twice\n[first given here](1)\nhint: the first is at 4:3');
    // test/broken/duplicate_variant.effnet: `b0` at 8:11, again at 9:11.
    expect(variant.relatedLocations).toEqual([
      {
        id: 1,
        physicalLocation: { artifactLocation: { uri: 'test/broken/duplicate_variant.effnet' }, region: { startLine: 8, startColumn: 11, endLine: 8, endColumn: 13 } },
        message: { text: 'first defined here' },
      },
    ]);
    expect(variant.message.text).toBe('variant `b0` is defined twice\n[first defined here](1)\nhint: the first is at 8:11');
    // Results without a related place have no such field.
    expect(log.runs[0].results.some((r: object) => 'relatedLocations' in r)).toBe(false);
    const bad = structuredClone(withRelated);
    bad.runs[0].results[0].relatedLocations[0].id = -2;
    expect(validate(bad)).toBe(false);
  });

  it('escapes brackets beside an embedded link, so only the link reads as one', () => {
    const [d] = broken('duplicate_variant').diagnostics;
    const odd = { ...d!, message: 'a [b](1) \\ c', related: [{ range: d!.related![0]!.range, message: 'x [y]' }] };
    const one = JSON.parse(renderSarif([odd])).runs[0].results[0];
    expect(one.message.text).toBe('a \\[b\\](1) \\\\ c\n[x \\[y\\]](1)\nhint: the first is at 8:11');
    expect(one.relatedLocations[0].message.text).toBe('x [y]');
  });

  it('keeps a relative path relative and encodes what a URI may not hold', () => {
    expect(artifactUri('specs/efficientnet.effnet')).toBe('specs/efficientnet.effnet');
    expect(artifactUri('../up/a?b.effnet')).toBe('../up/a%3Fb.effnet');
    expect(artifactUri('c:x.effnet')).toBe('c%3Ax.effnet');
  });

  it('of a clean check has no results and still validates', () => {
    const clean = JSON.parse(renderSarif([]));
    expect(clean.runs[0].results).toEqual([]);
    expect(validate(clean)).toBe(true);
  });
});

describe('JSON output', () => {
  it('gives code, severity, message, file, range and hint of every diagnostic', () => {
    const report = JSON.parse(renderJson(broken('even_kernel').diagnostics));
    expect(report.diagnostics).toEqual([
      {
        code: 'E020',
        severity: 'error',
        message: 'kernel size 4 is even',
        file: 'test/broken/even_kernel.effnet',
        range: { start: { line: 5, column: 20 }, end: { line: 5, column: 21 } },
        hint: 'effnet pads symmetrically around the centre: use an odd kernel size such as 3 or 5',
      },
    ]);
  });

  it('gives the first place of a duplicate as `related`, with line and column', () => {
    const report = JSON.parse(renderJson([...broken('compound_given_twice').diagnostics, ...broken('duplicate_variant').diagnostics]));
    expect(report.diagnostics.map((d: { range: unknown; related: unknown }) => [d.range, d.related])).toEqual([
      [
        { start: { line: 11, column: 3 }, end: { line: 11, column: 11 } },
        [{ range: { start: { line: 4, column: 3 }, end: { line: 4, column: 11 } }, message: 'first given here' }],
      ],
      [
        { start: { line: 9, column: 11 }, end: { line: 9, column: 13 } },
        [{ range: { start: { line: 8, column: 11 }, end: { line: 8, column: 13 } }, message: 'first defined here' }],
      ],
    ]);
    expect(report.diagnostics[0].hint).toBe('the first is at 4:3');
  });

  it('lists what each checked file compiled to', async () => {
    const good = compileSource(readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8'), 'specs/efficientnet.effnet');
    const report = JSON.parse(await renderCheck('json', [good, broken('even_kernel'), broken('compound_far_from_two')]));
    expect(report.files).toEqual([
      { file: 'specs/efficientnet.effnet', family: 'efficientnet', variants: 10, errors: 0, warnings: 0 },
      { file: 'test/broken/even_kernel.effnet', errors: 1, warnings: 0 },
      { file: 'test/broken/compound_far_from_two.effnet', family: 'tiny', variants: 2, errors: 0, warnings: 1 },
    ]);
    expect(report.diagnostics.map((d: { code: string }) => d.code)).toEqual(['E020', 'W034']);
    expect(validate(JSON.parse(await renderCheck('sarif', [good, broken('even_kernel')])))).toBe(true);
  });
});
