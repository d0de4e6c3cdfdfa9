import ts from 'typescript';

// Type-checks generated sources under strict, as users compile them (NodeNext
// modules, ES2022, Node's types), and lists what the compiler says.

export function strictProgram(files: string[], paths?: ts.MapLike<string[]>): ts.Program {
  return ts.createProgram(files, {
    strict: true,
    noImplicitOverride: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
    ...(paths ? { paths } : {}),
  });
}

/** `file:line: message` for each diagnostic of these files (all the program's when none are named). */
export function typeErrors(program: ts.Program, files?: string[]): string[] {
  const sources = files?.map((f) => program.getSourceFile(f)!);
  const diagnostics = sources ? sources.flatMap((f) => ts.getPreEmitDiagnostics(program, f)) : ts.getPreEmitDiagnostics(program);
  return diagnostics.map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}
