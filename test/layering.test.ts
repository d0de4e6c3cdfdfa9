import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Data flows one way: text → tokens → CST → AST → IR → variant graph →
// {cost/report, diff}. A folder may import its own rank or an earlier one.
const RANK: Record<string, number> = {
  // What generated code imports at run time: depends on no compiler stage.
  runtime: 0,
  // Reading and writing user files safely: used by every stage that touches the disk.
  io: 0,
  diagnostics: 0,
  lexer: 1,
  parser: 2,
  ast: 3,
  ir: 4,
  // Block kinds: each one's attributes, checks, layers and names (lowering and graph building use them).
  blocks: 4,
  graph: 5,
  cost: 6,
  compile: 7,
  report: 7,
  grammar: 7,
  emit: 7,
  // The spec printer (`effnet fmt`, the Prettier plugin): text → CST → canonical text.
  format: 3,
  tfjs: 8,
  wgsl: 8,
  // The ONNX exporter: a variant graph and its weights as an ONNX model (the cli runs it on ONNX Runtime).
  onnx: 8,
  generate: 9,
  // Compound-scaling tables and search: build variants and read their costs.
  search: 8,
  // The language server: compiles, formats and answers an editor over LSP.
  lsp: 9,
  diff: 8,
  weights: 6,
  cli: 10,
};

const src = resolve(import.meta.dirname, '../src');

describe('layering', () => {
  it('knows every folder of src/', () => {
    expect(readdirSync(src).sort()).toEqual(Object.keys(RANK).sort());
  });

  it('sees the cross-folder imports it checks', () => {
    const cli = readdirSync(join(src, 'cli'))
      .map((f) => readFileSync(join(src, 'cli', f), 'utf8'))
      .join('\n');
    expect([...cli.matchAll(/from '\.\.\/([a-z]+)\//g)].map((m) => m[1])).toEqual(expect.arrayContaining(['compile', 'generate', 'report']));
  });

  for (const folder of Object.keys(RANK)) {
    it(`src/${folder} imports no later stage`, () => {
      for (const file of readdirSync(join(src, folder)).filter((f) => f.endsWith('.ts'))) {
        const text = readFileSync(join(src, folder, file), 'utf8');
        for (const m of text.matchAll(/from '\.\.\/([a-z]+)\//g)) {
          const target = m[1]!;
          expect(RANK[target], `${folder}/${file} imports ${target}`).toBeDefined();
          expect(RANK[target]!, `${folder}/${file} imports ${target}/`).toBeLessThanOrEqual(RANK[folder]!);
        }
      }
    });
  }
});
