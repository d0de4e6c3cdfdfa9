import { tsString as quote } from './escape.js';

// A TypeScript module built as text in one pass: imports gathered at the top,
// then statements in the order they are added. It offers the few calls of
// ts-morph's SourceFile the emitters use (same names, same shapes), without
// ts-morph's cost of re-parsing the file on every addition; prettier
// (generatedModule) lays the text out afterwards.

/** Writes code inside an initializer or a function body. */
export interface CodeWriter {
  write(text: string): CodeWriter;
  writeLine(text: string): CodeWriter;
  newLine(): CodeWriter;
  /** ` {`, what `body` writes (indented), `}`; what is written next starts a new line. */
  block(body: () => void): CodeWriter;
}

/** Code given as text or written by a function. */
export type CodeText = string | ((w: CodeWriter) => void);

/** `const` (the default), `let` or `var`; ts-morph's VariableDeclarationKind values fit here too. */
export const VariableDeclarationKind = { Const: 'const', Let: 'let', Var: 'var' } as const;

export interface ImportStructure {
  moduleSpecifier: string;
  /** `import type { … }`. */
  isTypeOnly?: boolean;
  /** `import * as name`. */
  namespaceImport?: string;
  namedImports?: readonly (string | { name: string; isTypeOnly?: boolean })[];
}

export interface ExportStructure {
  moduleSpecifier: string;
  namedExports: readonly string[];
}

export interface VariableStructure {
  isExported?: boolean;
  declarationKind?: string;
  docs?: readonly string[];
  declarations: readonly { name: string; type?: string; initializer: CodeText }[];
}

export interface ParameterStructure {
  name: string;
  type?: string;
  initializer?: string;
}

export interface FunctionStructure {
  isExported?: boolean;
  isAsync?: boolean;
  name: string;
  docs?: readonly string[];
  typeParameters?: readonly string[];
  parameters?: readonly ParameterStructure[];
  returnType?: string;
  statements: CodeText;
}

class TextWriter implements CodeWriter {
  private text = '';
  private depth = 0;
  private newLinePending = false;

  private raw(s: string): void {
    if (s === '') return;
    if (this.newLinePending) {
      this.newLinePending = false;
      if (!this.text.endsWith('\n')) this.text += '\n';
    }
    if (this.text === '' || this.text.endsWith('\n')) this.text += '  '.repeat(this.depth);
    this.text += s;
  }

  write(text: string): CodeWriter {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (i > 0) this.newLine();
      this.raw(line);
    });
    return this;
  }

  writeLine(text: string): CodeWriter {
    if (this.text !== '' && !this.text.endsWith('\n')) this.newLine();
    return this.write(text).newLine();
  }

  newLine(): CodeWriter {
    this.newLinePending = false;
    this.text += '\n';
    return this;
  }

  block(body: () => void): CodeWriter {
    if (this.text !== '' && !/[\s]$/.test(this.text)) this.text += ' ';
    this.raw('{');
    this.newLine();
    this.depth++;
    body();
    this.depth--;
    if (!this.text.endsWith('\n')) this.newLine();
    this.raw('}');
    this.newLinePending = true;
    return this;
  }

  toString(): string {
    return this.text;
  }
}

/** The code `text` stands for, as a string. */
export function codeText(text: CodeText): string {
  if (typeof text === 'string') return text;
  const w = new TextWriter();
  text(w);
  return w.toString().replace(/\n$/, '');
}

const docComment = (docs: readonly string[] | undefined): string =>
  (docs ?? []).map((d) => (d.includes('\n') ? `/**\n${d.split('\n').map((l) => ` * ${l}`.trimEnd()).join('\n')}\n */\n` : `/** ${d} */\n`)).join('');

const indentBody = (body: string): string =>
  body
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');

type Kind = 'export' | 'variable' | 'function';

/** A module's text, built by adding imports and statements. */
export class TsFile {
  private readonly imports: string[] = [];
  private readonly statements: { kind: Kind; text: string }[] = [];

  constructor(readonly name: string) {}

  addImportDeclaration(s: ImportStructure): void {
    const named = (s.namedImports ?? []).map((n) => (typeof n === 'string' ? n : `${n.isTypeOnly ? 'type ' : ''}${n.name}`));
    const what = s.namespaceImport !== undefined ? `* as ${s.namespaceImport}` : `{ ${named.join(', ')} }`;
    this.imports.push(`import ${s.isTypeOnly ? 'type ' : ''}${what} from ${quote(s.moduleSpecifier)};`);
  }

  addExportDeclaration(s: ExportStructure): void {
    this.statements.push({ kind: 'export', text: `export { ${s.namedExports.join(', ')} } from ${quote(s.moduleSpecifier)};` });
  }

  addVariableStatement(s: VariableStructure): void {
    const declarations = s.declarations.map((d) => `${d.name}${d.type !== undefined ? `: ${d.type}` : ''} = ${codeText(d.initializer)}`);
    const text = `${docComment(s.docs)}${s.isExported ? 'export ' : ''}${s.declarationKind ?? 'const'} ${declarations.join(', ')};`;
    this.statements.push({ kind: 'variable', text });
  }

  addFunction(s: FunctionStructure): void {
    const typeParameters = s.typeParameters && s.typeParameters.length > 0 ? `<${s.typeParameters.join(', ')}>` : '';
    const parameters = (s.parameters ?? []).map((p) => `${p.name}${p.type !== undefined ? `: ${p.type}` : ''}${p.initializer !== undefined ? ` = ${p.initializer}` : ''}`);
    const returnType = s.returnType !== undefined ? `: ${s.returnType}` : '';
    const body = codeText(s.statements);
    const head = `${s.isExported ? 'export ' : ''}${s.isAsync ? 'async ' : ''}function ${s.name}${typeParameters}(${parameters.join(', ')})${returnType}`;
    this.statements.push({ kind: 'function', text: `${docComment(s.docs)}${head} {\n${body === '' ? '' : `${indentBody(body)}\n`}}` });
  }

  /**
   * The module's text. Blank lines fall where ts-morph put them (prettier keeps them, so the
   * formatted output is as before): after the imports, and around everything but two
   * variable statements in a row.
   */
  getFullText(): string {
    let text = this.imports.length > 0 ? `${this.imports.join('\n')}\n` : '';
    this.statements.forEach((s, i) => {
      const before = i === 0 ? (this.imports.length > 0 ? '\n' : '') : s.kind === 'variable' && this.statements[i - 1]!.kind === 'variable' ? '' : '\n';
      text += `${before}${s.text}\n`;
    });
    return text;
  }
}

