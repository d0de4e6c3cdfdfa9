import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './support/tfjs.js';
import { strictProgram, typeErrors } from './support/typecheck.js';

// The committed generated/**/{network,model.tfjs,model.wgsl}.ts files type-check under
// strict as users compile them: `effnet/runtime/*` through this package's
// exports (the build's .d.ts), `@tensorflow/tfjs` (the default --tfjs-module) as installed.
// test/consumer.test.ts checks the tfjs-node-gpu flavour against that package's own types.

const generated = join(root, 'generated');
const files = readdirSync(generated, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('model.tfjs.ts') || f.endsWith('model.wgsl.ts') || f.endsWith('network.ts'))
  .sort()
  .map((f) => join(generated, f));

describe('generated network, tfjs and WGSL host sources', () => {
  it('exist for every shipped variant', () => expect(files.length).toBe(153));

  it('type-check under strict', () => {
    expect(existsSync(join(root, 'dist/src/runtime/tfjs.d.ts')), 'run `npm run build` first').toBe(true);
    const program = strictProgram(files);
    const diagnostics = typeErrors(program);
    expect(diagnostics).toEqual([]);
    // Every file was actually checked, not skipped for an unresolved import.
    for (const f of files) expect(program.getSourceFile(f)).toBeDefined();
  });
});
