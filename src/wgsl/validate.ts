/// <reference types="@webgpu/types" />
import { Node, Project, SyntaxKind } from 'ts-morph';

// Tint's verdict on generated shaders, placed in the generated file: the
// shaders are read out of `model.wgsl.ts` as the string constants they are
// (nothing is executed), and a message at shader line:col becomes one at
// file:line:col of the committed WGSL.

export interface ShaderLiteral {
  code: string;
  /** 1-based line and column of the shader's first character in the file. */
  line: number;
  column: number;
}

export interface ShaderProblem {
  /** `file:line:col`. */
  where: string;
  severity: GPUCompilationMessageType;
  message: string;
}

/** The shaders of a generated module: the template literals of `program.shaders`. */
export function shaderLiterals(fileText: string): ShaderLiteral[] {
  const file = new Project({ useInMemoryFileSystem: true }).createSourceFile('model.wgsl.ts', fileText);
  const program = file.getVariableDeclaration('program')?.getInitializerIfKind(SyntaxKind.ObjectLiteralExpression);
  const shaders = program?.getProperty('shaders');
  const array = shaders && Node.isPropertyAssignment(shaders) ? shaders.getInitializerIfKind(SyntaxKind.ArrayLiteralExpression) : undefined;
  if (!array) return [];
  return array.getElements().flatMap((e) => {
    if (!Node.isNoSubstitutionTemplateLiteral(e)) return [];
    const { line, column } = file.getLineAndColumnAtPos(e.getStart() + 1);
    return [{ code: e.getLiteralText(), line, column }];
  });
}

/** Validates each shader on `device` (Dawn's null backend validates without executing). */
export async function validateShaders(device: GPUDevice, shaders: readonly ShaderLiteral[], file: string): Promise<ShaderProblem[]> {
  const problems: ShaderProblem[] = [];
  for (const [i, s] of shaders.entries()) {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: s.code, label: `${file} shader ${i}` });
    const info = await module.getCompilationInfo();
    const scope = await device.popErrorScope();
    for (const m of info.messages) {
      if (m.type === 'info') continue;
      const line = s.line + m.lineNum - 1;
      const column = m.lineNum === 1 ? s.column + m.linePos - 1 : m.linePos;
      problems.push({ where: `${file}:${line}:${column}`, severity: m.type, message: m.message });
    }
    if (scope && !info.messages.some((m) => m.type === 'error')) problems.push({ where: `${file}:${s.line}:${s.column}`, severity: 'error', message: scope.message });
  }
  return problems;
}
