import type { Command } from 'commander';
import type { CompileOptions } from '../compile/compile.js';
import { UsageError } from './usage.js';

// The limits check, report, ir and generate share: flags, their parsing, and compile options.

export interface LimitFlags {
  maxParams?: string;
  maxActivationMib?: string;
  maxSpecMib?: string;
  maxVariants?: string;
}

/** The flags as typed on the command line, for a command that repeats them. */
export const LIMIT_FLAGS: ReadonlyMap<keyof LimitFlags, string> = new Map([
  ['maxParams', '--max-params'],
  ['maxActivationMib', '--max-activation-mib'],
  ['maxSpecMib', '--max-spec-mib'],
  ['maxVariants', '--max-variants'],
]);

function positive(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, not "${text}"`);
  return n;
}

export function compileOptions(flags: LimitFlags, variants?: string[]): CompileOptions {
  const maxParams = positive('--max-params', flags.maxParams);
  const mib = positive('--max-activation-mib', flags.maxActivationMib);
  const specMib = positive('--max-spec-mib', flags.maxSpecMib);
  const maxVariants = positive('--max-variants', flags.maxVariants);
  if (maxVariants !== undefined && !Number.isSafeInteger(maxVariants)) throw new UsageError(`--max-variants must be a whole number, not "${flags.maxVariants}"`);
  return {
    variants,
    ...(specMib === undefined ? {} : { maxSpecBytes: Math.floor(specMib * 2 ** 20) }),
    ...(maxVariants === undefined ? {} : { maxVariants }),
    limits: {
      ...(maxParams === undefined ? {} : { maxParams }),
      ...(mib === undefined ? {} : { maxActivationBytes: mib * 2 ** 20 }),
    },
  };
}

export const limitOptions = (c: Command): Command =>
  c
    .option('--max-params <n>', 'refuse variants with more trainable parameters (default 2e9)')
    .option('--max-activation-mib <n>', 'refuse variants whose float32 activations for one image exceed this (default 65536)')
    .option('--max-spec-mib <n>', 'refuse a spec file larger than this (default 8)')
    .option('--max-variants <n>', 'refuse a spec with more variants (default 1000)');
