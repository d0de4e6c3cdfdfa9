import { clip, where, type DiagnosticSink, type Range } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { Value } from '../ast/ast.js';

// Small checked readers shared by the lowering: each reports its own problem
// and returns undefined, so callers keep their defaults and go on.

export interface NumberRule {
  /** Inclusive lower bound unless `minExclusive`. */
  min?: number;
  minExclusive?: boolean;
  max?: number;
  maxExclusive?: boolean;
  integer?: boolean;
  code?: string;
  what: string;
}

function describeBounds(rule: NumberRule): string {
  const lo = rule.min === undefined ? '' : `${rule.minExclusive ? '>' : '≥'} ${rule.min}`;
  const hi = rule.max === undefined ? '' : `${rule.maxExclusive ? '<' : '≤'} ${rule.max}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

export function readNumber(v: Value | undefined, rule: NumberRule, sink: DiagnosticSink): number | undefined {
  // A missing value is a syntax error the parser has reported already.
  if (v === undefined) return undefined;
  if (v.kind !== 'number') {
    sink.error('E017', v.range, `${rule.what} must be a number, not \`${clip(v.text)}\``);
    return undefined;
  }
  const x = v.value;
  if (!Number.isFinite(x)) {
    sink.error('E026', v.range, `${rule.what} \`${clip(v.text)}\` is not a finite number`);
    return undefined;
  }
  if (rule.integer && !Number.isInteger(x)) {
    sink.error('E017', v.range, `${rule.what} must be an integer, not ${clip(v.text)}`);
    return undefined;
  }
  const tooLow = rule.min !== undefined && (rule.minExclusive ? x <= rule.min : x < rule.min);
  const tooHigh = rule.max !== undefined && (rule.maxExclusive ? x >= rule.max : x > rule.max);
  if (tooLow || tooHigh) {
    sink.error(rule.code ?? 'E026', v.range, `${rule.what} ${clip(v.text)} is out of range: it must be ${describeBounds(rule)}`);
    return undefined;
  }
  return x;
}

/** Integers the compiler multiplies together: kept far from float precision limits. */
export const MAX_COUNT = 1_000_000_000;

export const positiveInt = (what: string, code = 'E026'): NumberRule => ({
  what,
  integer: true,
  min: 1,
  max: MAX_COUNT,
  code,
});

const NO_ALIASES: Readonly<Record<string, never>> = Object.freeze(Object.create(null) as Record<string, never>);

export function readWord<T extends string>(
  v: Value | undefined,
  what: string,
  allowed: readonly T[],
  sink: DiagnosticSink,
  code = 'E012',
  aliases: Readonly<Record<string, T>> = NO_ALIASES,
): T | undefined {
  if (v === undefined) return undefined;
  const text = v.text;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  // Own properties only: `constructor` is a user's word, not Object's.
  if (Object.hasOwn(aliases, text)) return aliases[text];
  sink.error(
    code,
    v.range,
    `unknown ${what} \`${clip(text)}\``,
    () => didYouMean(text, [...allowed, ...Object.keys(aliases)]) ?? `expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`,
  );
  return undefined;
}

/** Reports an option given twice in one statement; returns whether it is the first. */
export class OnceTracker {
  private readonly seen = new Map<string, Range>();
  constructor(private readonly sink: DiagnosticSink, private readonly what: string) {}

  first(key: string, at: Range, shown = key): boolean {
    const before = this.seen.get(key);
    if (before !== undefined) {
      this.sink.error('E013', at, `${this.what} \`${shown}\` is given twice`, `the first is at ${where(before)}`, [{ range: before, message: 'first given here' }]);
      return false;
    }
    this.seen.set(key, at);
    return true;
  }
}

