import { buildAst } from '../ast/build.js';
import type { SpecNode } from '../ast/ast.js';
import { DiagnosticSink, sortDiagnostics, START_OF_FILE, type Diagnostic } from '../diagnostics/diagnostic.js';
import { buildFamily, DEFAULT_LIMITS, type GraphLimits } from '../graph/build.js';
import type { VariantGraph } from '../graph/graph.js';
import { scaleRepeats } from '../graph/rounding.js';
import { MiB, readRegularFile, ReadError } from '../io/read.js';
import type { FamilyIR, VariantIR } from '../ir/ir.js';
import { lowerFamily } from '../ir/lower.js';
import { budgetFor, parseText } from '../parser/parse.js';

// The pipeline driver: text → tokens → CST → AST → IR → variant graphs.
// Every step appends to one diagnostic list; nothing is thrown.

export interface Compilation {
  file: string;
  /** The text compiled (without a leading byte-order mark): diagnostics' offsets index it. */
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
  /** Refuse a spec declaring more variants (E038). Default 1,000 (`--max-variants`): each is a graph of its own. */
  maxVariants?: number;
  /** Refuse a spec of more tokens (E007). Default 200,000, or 20 a variant when `maxVariants` allows more. */
  maxTokens?: number;
  /** compileFile: refuse a larger file (E007). Default 8 MiB (`--max-spec-mib`). */
  maxSpecBytes?: number;
  /** Build no more blocks than this for all variants together (E043). Default 50,000. */
  maxFamilyBlocks?: number;
  /** Build every variant at this input resolution instead of its own (`report --resolution`). */
  resolution?: number;
}

/**
 * Every variant's graph is built in full (about 3 KB a block): 100 variants of
 * 9,000 blocks each took 18 s and 2.6 GB. The shipped families have under 1,000.
 */
export const DEFAULT_MAX_FAMILY_BLOCKS = 50_000;

export const DEFAULT_MAX_SPEC_BYTES = 8 * MiB;

/** U+FEFF, which editors on Windows put before the text: not part of it. */
const BOM = '\ufeff';

export function compileSource(text: string, file: string, options: CompileOptions = {}): Compilation {
  // Positions are counted without the BOM, as editors show the first line.
  const source = text.startsWith(BOM) ? text.slice(1) : text;
  const sink = new DiagnosticSink(file);
  const { cst, unrecognised } = parseText(source, sink, budgetFor(options.maxVariants, options.maxTokens));
  const ast = buildAst(unrecognised ? undefined : cst, file);
  let family: FamilyIR | undefined;
  if (ast.family) family = lowerFamily(ast.family, file, sink, !sink.hasErrors);
  else if (!sink.hasErrors)
    sink.error('E004', START_OF_FILE, 'the spec is empty', 'a spec holds one `family NAME { … }` block');
  let graphs: VariantGraph[] = [];
  if (family && !options.irOnly) {
    const resolution = options.resolution;
    const chosen = selectVariants(family, options.variants, sink).map((v) => (resolution === undefined ? v : { ...v, resolution }));
    const selected = withinFamilyBudget(chosen, options.maxFamilyBlocks ?? DEFAULT_MAX_FAMILY_BLOCKS, sink);
    graphs = buildFamily({ ...family, variants: selected }, sink, { ...DEFAULT_LIMITS, ...options.limits });
  }
  return { file, source, ast, family, graphs, diagnostics: sortDiagnostics(sink.items) };
}

function selectVariants(family: FamilyIR, names: string[] | undefined, sink: DiagnosticSink): FamilyIR['variants'] {
  if (names === undefined || names.length === 0) return family.variants;
  const known = new Set(family.variants.map((v) => v.name));
  const wanted = new Set(names);
  for (const n of wanted) {
    if (!known.has(n)) sink.error('E037', family.range, `family \`${family.name}\` has no variant \`${n}\``, `its variants are ${[...known].join(', ')}`);
  }
  return family.variants.filter((v) => wanted.has(v.name));
}

/**
 * The variants whose blocks, added up in order, stay within `limit`; the first
 * one over it is E043 and it and the rest are not built. Every stage is at
 * least one block, so this visits at most `limit + 1` stages in all.
 */
function withinFamilyBudget(variants: VariantIR[], limit: number, sink: DiagnosticSink): VariantIR[] {
  let total = 0;
  for (let i = 0; i < variants.length; i++) {
    const v = variants[i]!;
    const net = v.network;
    for (const s of net.stages) {
      total += s.fixedDepth ? s.repeats : scaleRepeats(s.repeats, v.depth, net.rounding.repeats);
      if (total > limit) {
        const rest = variants.length - i;
        sink.error(
          'E043',
          v.range,
          `variant \`${v.name}\` takes the family past ${limit.toLocaleString('en-US')} blocks, the limit for all variants together`,
          `${rest === 1 ? 'it is' : `it and the ${rest - 1} after it are`} not built: compile fewer variants at a time (--variant)`,
        );
        return variants.slice(0, i);
      }
    }
  }
  return variants;
}

/** Reads and compiles a file; a file that cannot be read is a diagnostic too. */
export function compileFile(path: string, options: CompileOptions = {}): Compilation {
  let bytes: Uint8Array;
  try {
    // Only a regular file, and at most the cap: `/dev/zero` or a FIFO must neither grow memory nor block.
    bytes = readRegularFile(path, 'the spec', { maxBytes: options.maxSpecBytes ?? DEFAULT_MAX_SPEC_BYTES });
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    const sink = new DiagnosticSink(path);
    if (e.reason === 'missing') sink.error('E006', START_OF_FILE, 'cannot read the file: no such file');
    else if (e.reason === 'unreadable') sink.error('E006', START_OF_FILE, e.message);
    else if (e.reason === 'too-large') sink.error('E007', START_OF_FILE, e.message, '--max-spec-mib N raises the limit (default 8)');
    else sink.error('E007', START_OF_FILE, e.message, 'save the spec to a regular file and name that file');
    return { file: path, source: '', ast: { file: path }, graphs: [], diagnostics: sink.items };
  }
  // Invalid UTF-8 becomes U+FFFD, which the lexer reports where it stands.
  return compileSource(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), path, options);
}
