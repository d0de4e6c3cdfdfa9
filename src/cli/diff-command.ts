import { Command, Option } from 'commander';
import { printable } from '../diagnostics/render.js';
import type { Io } from './io.js';
import { diffRefs } from '../diff/diff.js';
import { parseGate, violations, type GateRule } from '../diff/gate.js';
import { RefError } from '../diff/refs.js';
import { DIFF_FORMATS, percent, renderDiff, type DiffFormat } from '../diff/render.js';

// `effnet diff A B`: 0 (changes or not), 1 when a --fail-on threshold is crossed, 2 for a bad reference.


const collect = (value: string, previous: string[]) => [...previous, value];

export function registerDiff(program: Command, io: Io, setCode: (code: number) => void): Command {
  return program
    .command('diff')
    .description('compare two variants, two specs or two revisions: per-stage table, totals and semantic changes')
    .argument('<a>', 'path/spec.effnet[#variant] or git:REV:path/spec.effnet[#variant]')
    .argument('<b>', 'the same forms as <a>')
    .addOption(new Option('--format <format>', 'output format').choices(DIFF_FORMATS as readonly string[] as string[]).default('text'))
    .option('--fail-on <metric:N%>', 'exit 1 when |Δ%| of params, macs, flops or activations exceeds N (repeatable)', collect, [] as string[])
    .action((a: string, b: string, flags: { format: DiffFormat; failOn: string[] }) => {
      const rules: GateRule[] = [];
      for (const text of flags.failOn) {
        const rule = parseGate(text);
        if (typeof rule === 'string') {
          io.stderr(`effnet: ${rule}\n`);
          return setCode(2);
        }
        rules.push(rule);
      }
      let d;
      try {
        d = diffRefs(a, b, io.cwd);
      } catch (e) {
        if (!(e instanceof RefError)) throw e;
        // Paths, spec words and compiler messages in one line: shown, never obeyed by the terminal.
        io.stderr(`effnet: ${printable(e.message)}\n`);
        return setCode(2);
      }
      io.stdout(renderDiff(d, flags.format, (io.stdoutColor ?? io.color) && flags.format === 'text'));
      const failed = violations(d, rules);
      for (const v of failed) io.stderr(`effnet: --fail-on ${v.rule}: ${v.variant} changed by ${percent(v.value.pct)}\n`);
      setCode(failed.length > 0 ? 1 : 0);
    });
}
