import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, type Executable, type LanguageClientOptions } from 'vscode-languageclient/node';

// The effnet extension: the grammar and language configuration are declared
// in package.json; this file starts `effnet lsp` (diagnostics, hover figures,
// completion, definition, formatting, symbols, quick fixes) and restarts it
// when its path setting changes.

let client: LanguageClient | undefined;

const windows = process.platform === 'win32';

/** An executable named `name` in one of the PATH's folders. */
function onPath(name: string): string | undefined {
  const names = windows ? [`${name}.cmd`, `${name}.exe`, name] : [name];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const n of names) {
      const p = join(dir, n);
      if (dir !== '' && existsSync(p)) return p;
    }
  }
  return undefined;
}

/**
 * How to start the server: the configured path, else the workspace's own
 * effnet (node_modules/.bin), else `effnet` on the PATH, else npx, which finds
 * a local or global install and installs nothing (`--no`).
 */
export function serverExecutable(configured: string, folders: readonly string[]): Executable {
  const cwd = folders[0];
  const options = { ...(cwd ? { cwd } : {}), shell: windows };
  if (configured.trim() !== '') return { command: configured.trim(), args: ['lsp'], options };
  for (const f of folders) {
    const local = join(f, 'node_modules', '.bin', windows ? 'effnet.cmd' : 'effnet');
    if (existsSync(local)) return { command: local, args: ['lsp'], options };
  }
  const global = onPath('effnet');
  if (global) return { command: global, args: ['lsp'], options };
  return { command: windows ? 'npx.cmd' : 'npx', args: ['--no', 'effnet', 'lsp'], options };
}

async function start(): Promise<void> {
  const configured = vscode.workspace.getConfiguration('effnet').get<string>('server.path', '');
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const run = serverExecutable(configured, folders);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'effnet' },
      { scheme: 'untitled', language: 'effnet' },
    ],
  };
  client = new LanguageClient('effnet', 'effnet', { run, debug: run }, clientOptions);
  try {
    await client.start();
  } catch (e) {
    const shown = [run.command, ...(run.args ?? [])].join(' ');
    void vscode.window.showErrorMessage(`effnet: could not start the language server (${shown}): ${(e as Error).message}. Install effnet or set "effnet.server.path".`);
  }
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c?.isRunning()) await c.stop();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand('effnet.restartServer', async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('effnet.server.path')) return;
      await stop();
      await start();
    }),
  );
  await start();
}

export function deactivate(): Promise<void> {
  return stop();
}
