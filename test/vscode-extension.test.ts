import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockComment, Identifier, LineComment, NumberLiteral } from '../src/lexer/tokens.js';

// editors/vscode/ is built by `vsce package` (CI), not by this suite: these
// checks catch a manifest that points at nothing, a grammar that is not the
// repository's, and a client whose protocol differs from the server's.

const root = resolve(import.meta.dirname, '..');
const ext = join(root, 'editors/vscode');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const manifest = json(join(ext, 'package.json'));
const grammar = json(join(root, 'grammar/effnet.tmLanguage.json'));
const temp = mkdtempSync(join(tmpdir(), 'effnet-vscode-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('editors/vscode', () => {
  it('contributes the effnet language for .effnet files, with a language configuration that exists', () => {
    const [language] = manifest.contributes.languages;
    expect(language).toMatchObject({ id: 'effnet', extensions: ['.effnet'] });
    expect(manifest.activationEvents).toEqual(['onLanguage:effnet']);
    const config = json(join(ext, language.configuration));
    // Comments as the lexer reads them.
    expect(config.comments).toEqual({ lineComment: '//', blockComment: ['/*', '*/'] });
    expect(LineComment.PATTERN).toEqual(/\/\/[^\n\r]*/);
    expect(String(BlockComment.PATTERN).startsWith('/\\/\\*')).toBe(true);
    expect(config.brackets).toEqual([['{', '}']]);
    // A word is a name or a number, as the lexer has them.
    expect(config.wordPattern).toBe(`${(Identifier.PATTERN as RegExp).source}|${(NumberLiteral.PATTERN as RegExp).source}`);
  });

  it('takes its grammar from grammar/: the copy step writes the path the manifest names, with the same scope', () => {
    const [g] = manifest.contributes.grammars;
    expect(g.language).toBe('effnet');
    expect(g.scopeName).toBe(grammar.scopeName);
    // Run the copy step in a copy of the layout it expects (editors/vscode beside grammar/).
    mkdirSync(join(temp, 'grammar'));
    cpSync(join(root, 'grammar/effnet.tmLanguage.json'), join(temp, 'grammar/effnet.tmLanguage.json'));
    cpSync(join(ext, 'scripts'), join(temp, 'editors/vscode/scripts'), { recursive: true });
    const r = spawnSync(process.execPath, [join(temp, 'editors/vscode', manifest.scripts.grammar.replace(/^node /, ''))], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const copied = join(temp, 'editors/vscode', g.path);
    expect(existsSync(copied)).toBe(true);
    expect(readFileSync(copied, 'utf8')).toBe(readFileSync(join(root, 'grammar/effnet.tmLanguage.json'), 'utf8'));
    // Build output, never committed.
    expect(readFileSync(join(ext, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['syntaxes/', 'out/']));
  });

  it('compiles src/extension.ts to the main file the manifest names, and packages it with its build', () => {
    const ts = json(join(ext, 'tsconfig.json')).compilerOptions;
    expect(manifest.main).toBe(`./${ts.outDir}/extension.js`);
    expect(existsSync(join(ext, ts.rootDir, 'extension.ts'))).toBe(true);
    expect(manifest.scripts['vscode:prepublish']).toBe('npm run build');
    expect(manifest.scripts.build).toBe('npm run grammar && tsc -p ./');
    for (const f of ['README.md', 'LICENSE', 'language-configuration.json']) expect(existsSync(join(ext, f)), f).toBe(true);
  });

  it('starts `effnet lsp`, and its settings and commands are declared', () => {
    const source = readFileSync(join(ext, 'src/extension.ts'), 'utf8');
    expect(source).toContain("args: ['lsp']");
    expect(source).toContain("args: ['--no', 'effnet', 'lsp']");
    const settings = Object.keys(manifest.contributes.configuration.properties);
    expect(settings).toEqual(['effnet.server.path', 'effnet.trace.server']);
    expect(source).toContain("getConfiguration('effnet').get<string>('server.path'");
    for (const c of manifest.contributes.commands) expect(source).toContain(`registerCommand('${c.command}'`);
  });

  it('pins a client that speaks the server\'s protocol version', () => {
    const lock = json(join(ext, 'package-lock.json')).packages;
    const serverProtocol = json(join(root, 'node_modules/vscode-languageserver-protocol/package.json')).version;
    expect(lock['node_modules/vscode-languageclient'].version).toBe(manifest.dependencies['vscode-languageclient']);
    expect(lock['node_modules/vscode-languageserver-protocol'].version).toBe(serverProtocol);
    expect(manifest.engines.vscode).toBe(lock['node_modules/vscode-languageclient'].engines.vscode);
  });

  it('documents the Neovim and Helix set-up with the same command', () => {
    const readme = readFileSync(join(ext, 'README.md'), 'utf8');
    expect(readme).toContain("cmd = { 'effnet', 'lsp' }");
    expect(readme).toContain('vim.lsp.start(');
    expect(readme).toContain('[language-server.effnet]\ncommand = "effnet"\nargs = ["lsp"]');
    expect(readme).toContain(`scope = "${grammar.scopeName}"`);
    expect(readme).toContain('npx @vscode/vsce package');
  });
});
