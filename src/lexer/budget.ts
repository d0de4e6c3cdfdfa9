// A spec's size in tokens and variants, counted before the real lexer runs:
// lexing and parsing cost a few hundred bytes a token, so an over-long spec
// is refused after this allocation-free pass, not after building millions of
// objects. The pass mirrors tokens.ts closely enough for a limit: comments and
// whitespace are skipped the same way, and every other token or stray
// character counts one.

export interface Budget {
  /** Refuse a spec with more tokens than this. */
  maxTokens: number;
  /** Refuse a spec with more `variant` keywords than this. */
  maxVariants: number;
}

export interface Overrun {
  what: 'tokens' | 'variants';
  /** How many the whole text holds. */
  count: number;
  limit: number;
  /** Where the first one over the limit starts (0-based offset). */
  offset: number;
}

// Skipped as the lexer skips them: whitespace, `//`, `/* */`, an unclosed `/*`, `#` to the end of the line.
const SKIP = /[ \t\r\n]+|\/\/[^\n\r]*|\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\/|\/\*[\s\S]*|#[^\n\r]*/y;
// One token: a number, a word (keywords and compact attributes are words), a brace, or one stray character.
const TOKEN = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[\s\S]/y;

/** The first limit the text goes over, with the whole text's count; undefined when within both. */
export function overrun(text: string, budget: Budget): Overrun | undefined {
  let tokens = 0;
  let variants = 0;
  let tokenAt = -1;
  let variantAt = -1;
  let at = 0;
  while (at < text.length) {
    SKIP.lastIndex = at;
    if (SKIP.test(text)) {
      at = SKIP.lastIndex;
      continue;
    }
    TOKEN.lastIndex = at;
    TOKEN.test(text);
    const end = TOKEN.lastIndex;
    if (++tokens === budget.maxTokens + 1) tokenAt = at;
    if (end - at === 7 && text.startsWith('variant', at) && ++variants === budget.maxVariants + 1) variantAt = at;
    at = end;
  }
  // Too many variants is the more useful message: it names what to cut.
  if (variantAt >= 0) return { what: 'variants', count: variants, limit: budget.maxVariants, offset: variantAt };
  if (tokenAt >= 0) return { what: 'tokens', count: tokens, limit: budget.maxTokens, offset: tokenAt };
  return undefined;
}
