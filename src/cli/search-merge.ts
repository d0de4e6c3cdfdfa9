import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readRegularFile } from '../io/read.js';
import { writeOutput } from '../io/write.js';
import { MAX_STORE_BYTES, mergeStores, parseStore, StoreError, storeText, type StoreRecord } from '../search/store.js';
import { UsageError } from './input.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet search merge OUT IN...`: the union of search stores (the shards of a CI matrix) by
// key, sorted by key. An OUT that is already a store is merged into; identical records are kept
// once; two different records for one key are listed and nothing is written unless --keep-first.

function readStore(ctx: CommandContext, path: string, shown: string): StoreRecord[] {
  const text = Buffer.from(readRegularFile(path, shown, { maxBytes: MAX_STORE_BYTES })).toString('utf8');
  try {
    const s = parseStore(text, shown);
    if (s.truncated) ctx.io.stderr(`effnet: warning: ${printableLines(shown)}: its last line was cut short (a killed run); left out\n`);
    return s.records;
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
}

export function registerSearchMerge(search: Command, ctx: CommandContext): Command {
  const { io, shown } = ctx;
  return search
    .command('merge')
    .description("combine search stores (a CI matrix's shards) into OUT: the union by key; an OUT that is a store is merged into")
    .argument('<out>', 'the merged store (new, or a store to merge into)')
    .argument('<in...>', 'stores to merge')
    .option('--keep-first', 'write even when stores disagree on a key, keeping the first one’s record')
    .action((out: string, inputs: string[], flags: { keepFirst?: boolean }) => {
      const outPath = resolve(io.cwd, out);
      const names = [...(existsSync(outPath) && !inputs.some((i) => resolve(io.cwd, i) === outPath) ? [out] : []), ...inputs];
      const stores = names.map((n) => ({ shown: shown(n), records: readStore(ctx, resolve(io.cwd, n), shown(n)) }));
      const m = mergeStores(stores);
      for (const c of m.conflicts) io.stderr(printableLines(`effnet: ${c.first} and ${c.second} hold different records for key ${c.key.slice(0, 16)}…`) + '\n');
      if (m.conflicts.length > 0 && !flags.keepFirst) {
        io.stderr(`effnet: nothing written: ${m.conflicts.length} key${m.conflicts.length === 1 ? '' : 's'} with different records (a non-deterministic evaluator run twice?); --keep-first keeps the first store's\n`);
        return ctx.setCode(1);
      }
      writeOutput(outPath, storeText(m.records), { shown: shown(out) });
      io.stderr(printableLines(`effnet: wrote ${shown(out)}: ${m.records.length} records from ${stores.length} stores (${m.duplicates} identical duplicates)`) + '\n');
    });
}
