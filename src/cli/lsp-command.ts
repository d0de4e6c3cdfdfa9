import { Option, type Command } from 'commander';
import { serveStdio } from '../lsp/stdio.js';
import type { CommandContext } from './io.js';

// `effnet lsp`: a Language Server Protocol server on stdin/stdout for editors
// (editors/vscode/, Neovim, Helix). It runs until the editor sends `exit` or
// closes stdin; the connection ends the process then.

export function registerLsp(program: Command, _ctx: CommandContext): void {
  program
    .command('lsp')
    .description('a language server on stdin/stdout for editors: diagnostics, hover figures, completion, formatting')
    // Clients add these: stdio is the only transport, and the server watches the client's process itself.
    .addOption(new Option('--stdio', 'talk over stdin and stdout (the default)'))
    .addOption(new Option('--clientProcessId <pid>').hideHelp())
    .action(() => serveStdio());
}
