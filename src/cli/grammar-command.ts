import { resolve } from 'node:path';
import type { Command } from 'commander';
import { applyPlan, compareWithDisk } from '../generate/files.js';
import { GRAMMAR_MARKER, grammarFiles } from '../grammar/write.js';
import { guarded } from './generate-command.js';
import type { CommandContext } from './io.js';

// `effnet grammar`: grammar/ (EBNF, syntax diagrams, TextMate grammar) regenerated from the parser.

export function registerGrammar(program: Command, ctx: CommandContext): void {
  const { io, setCode } = ctx;
  program
    .command('grammar')
    .description('regenerate grammar/ (EBNF, syntax diagrams, TextMate grammar) from the parser')
    .option('--check', 'write nothing; exit 1 when grammar/ is stale')
    .action((flags: { check?: boolean }) => {
      const files = grammarFiles().map((f) => ({ path: f.path.replace(/^grammar\//, ''), content: f.content }));
      const root = resolve(io.cwd, 'grammar');
      const scope = { owned: [], marker: GRAMMAR_MARKER };
      const s = flags.check ? compareWithDisk(root, files, scope) : guarded(() => applyPlan(root, files, scope));
      const changed = [...s.missing, ...s.stale];
      if (flags.check && changed.length > 0) {
        io.stderr(`grammar/ is out of date (run \`npm run grammar\`): ${changed.join(', ')}\n`);
        setCode(1);
      } else io.stdout(changed.length === 0 ? 'grammar/ is up to date\n' : `wrote ${changed.map((p) => `grammar/${p}`).join(', ')}\n`);
    });
}
