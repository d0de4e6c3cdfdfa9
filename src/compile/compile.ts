import { readFileSync } from 'node:fs';
import { buildAst } from '../ast/build.js';
import type { SpecNode } from '../ast/ast.js';
import { DiagnosticSink, sortDiagnostics, START_OF_FILE, type Diagnostic } from '../diagnostics/diagnostic.js';
import { buildFamily, DEFAULT_LIMITS, type GraphLimits } from '../graph/build.js';
import type { VariantGraph } from '../graph/graph.js';
import type { FamilyIR } from '../ir/ir.js';
import { lowerFamily } from '../ir/lower.js';
import { parseText } from '../parser/parse.js';

// The pipeline driver: text → tokens → CST → AST → IR → variant graphs.
// Every step appends to one diagnostic list; nothing is thrown.

export interface Compilation {
  file: string;
  source: string;
  ast: SpecNode;
  family?: FamilyIR;
  graphs: VariantGraph[];
  diagnostics: Diagnostic[];
}

export interface CompileOptions {
  limits?: Partial<GraphLimits>;
  /** Build only these variants (all when absent). Unknown names are diagnosed. */
  variants?: string[];
  /** Stop after the IR: no graphs. */
  irOnly?: boolean;
}

export function compileSource(source: string, file: string, options: CompileOptions = {}): Compilation {
  const sink = new DiagnosticSink(file);
  const { cst, unrecognised } = parseText(source, sink);
  const ast = buildAst(unrecognised ? undefined : cst, file);
  let family: FamilyIR | undefined;
  if (ast.family) family = lowerFamily(ast.family, file, sink, !sink.hasErrors);
  else if (!sink.hasErrors)
    sink.error('E004', START_OF_FILE, 'the spec is empty', 'a spec holds one `family NAME { … }` block');
  let graphs: VariantGraph[] = [];
  if (family && !options.irOnly) {
    const selected = selectVariants(family, options.variants, sink);
    graphs = buildFamily({ ...family, variants: selected }, sink, { ...DEFAULT_LIMITS, ...options.limits });
  }
  return { file, source, ast, family, graphs, diagnostics: sortDiagnostics(sink.items) };
}

function selectVariants(family: FamilyIR, names: string[] | undefined, sink: DiagnosticSink): FamilyIR['variants'] {
  if (names === undefined || names.length === 0) return family.variants;
  const known = family.variants.map((v) => v.name);
  for (const n of names.filter((n) => !known.includes(n))) {
    sink.error('E037', family.range, `family \`${family.name}\` has no variant \`${n}\``, `its variants are ${known.join(', ')}`);
  }
  return family.variants.filter((v) => names.includes(v.name));
}

/** Reads and compiles a file; an unreadable file is a diagnostic too. */
export function compileFile(path: string, options: CompileOptions = {}): Compilation {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    const sink = new DiagnosticSink(path);
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    sink.error('E006', START_OF_FILE, `cannot read the file: ${reason}`);
    return { file: path, source: '', ast: { file: path }, graphs: [], diagnostics: sink.items };
  }
  return compileSource(source, path, options);
}
