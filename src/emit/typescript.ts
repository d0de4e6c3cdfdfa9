import { createRequire } from 'node:module';
import type * as TsMorph from 'ts-morph';
import { tsBanner, tsString } from './escape.js';
import { TsFile } from './writer.js';

export { TsFile, VariableDeclarationKind, type CodeWriter } from './writer.js';

// What every TypeScript emitter shares: a module written as text in one pass,
// literals for plain data, and one prettier configuration. Prettier and the
// TypeScript compiler load on first use: commands that emit nothing never pay
// for them.

/** A fresh module to build into (the few calls of ts-morph's SourceFile the emitters use). */
export function sourceFile(name: string): TsFile {
  return new TsFile(name);
}

/** A value the literal printer writes as code, not as data (an identifier, an expression). */
export class Code {
  constructor(readonly text: string) {}
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Plain data (numbers, strings, booleans, null, arrays, objects, Code) as a TypeScript expression. */
export function literal(value: unknown): string {
  if (value instanceof Code) return value.text;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`cannot emit the number ${value}`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return tsString(value);
    case 'boolean':
      return String(value);
    case 'object': {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      return `{ ${entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : literal(k)}: ${literal(v)}`).join(', ')} }`;
    }
    default:
      throw new Error(`cannot emit a ${typeof value}`);
  }
}

/** The one prettier configuration of generated TypeScript (babel-ts: same output, faster than typescript). */
export async function formatTypeScript(text: string): Promise<string> {
  const prettier = await import('prettier');
  return prettier.format(text, { parser: 'babel-ts', singleQuote: true, printWidth: 120, trailingComma: 'all' });
}

/**
 * A generated module: the one banner (the spec path escaped for a `//` comment),
 * then `header` lines (`/// <reference …>`), then the code, formatted.
 */
export function generatedModule(spec: string, code: string, header: readonly string[] = []): Promise<string> {
  return formatTypeScript([tsBanner(spec), ...header, '', code].join('\n'));
}

/** Twelve significant digits: a product of decimals prints as written, not with float noise. */
export const tidyNumber = (n: number): number => Number(n.toPrecision(12));

let typescript: typeof TsMorph.ts | undefined;

/** Generated TypeScript as JavaScript (types erased); loads the TypeScript compiler on first use. */
export const transpile = (source: string): string => {
  typescript ??= (createRequire(import.meta.url)('ts-morph') as typeof TsMorph).ts;
  const ts = typescript;
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
};

/** Generated TypeScript as an importable `data:` URL; its own imports must be absolute URLs. */
export const dataUrl = (source: string): string => `data:text/javascript;base64,${Buffer.from(transpile(source)).toString('base64')}`;
