import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { formatSpec } from '../src/format/format.js';
import * as plugin from '../src/format/prettier.js';

// The Prettier plugin prints what `effnet fmt` prints, picks `.effnet` files by
// extension, and reports a syntax error with its position.

const root = fileURLToPath(new URL('..', import.meta.url));
const specs = readdirSync(join(root, 'specs')).filter((f) => f.endsWith('.effnet')).sort();

const fmt = (text: string): string => {
  const r = formatSpec(text, 'spec.effnet');
  if (!r.ok) throw new Error('syntax error');
  return r.text;
};

describe('the Prettier plugin', () => {
  it('formats every shipped spec as effnet fmt does', async () => {
    for (const f of specs) {
      const text = readFileSync(join(root, 'specs', f), 'utf8');
      expect(await prettier.format(text, { parser: 'effnet', plugins: [plugin] }), f).toBe(fmt(text));
    }
  });

  it('is chosen by the .effnet extension and keeps a byte-order mark', async () => {
    const text = '\ufefffamily t {\r\nstem conv k3 s2 c8\r\n}\r\n';
    expect(await prettier.format(text, { filepath: 'specs/t.effnet', plugins: [plugin] })).toBe('\ufefffamily t {\n  stem  conv k3 s2 c8\n}\n');
    expect(await prettier.check('family t {\n}\n', { filepath: 't.effnet', plugins: [plugin] })).toBe(false);
    expect(await prettier.check('family t {}\n', { filepath: 't.effnet', plugins: [plugin] })).toBe(true);
  });

  it('reports a syntax error with its code and position', async () => {
    const failure = prettier.format('family t {\n  stage mbconv k3;\n}\n', { parser: 'effnet', plugins: [plugin] });
    await expect(failure).rejects.toMatchObject({ message: expect.stringContaining('E001: unexpected character `;`'), loc: { start: { line: 2, column: 18 } } });
  });
});
