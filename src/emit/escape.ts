// The one escaping helper per output language (DESIGN.md §7). Anything from the
// user — a spec path, a family or variant name, a setting — that reaches
// generated TypeScript, WGSL, HTML, Markdown or CSV goes through one of these.
// Each function is total (any string in, safe text out) and leaves ordinary
// text (paths, identifiers) byte-identical, so generated files do not churn.

/** `\n`, `\u2028`: how a hidden character is shown inside a comment or a string literal. */
function visible(ch: string): string {
  switch (ch) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

// C0/C1 controls, DEL, the line/paragraph separators and the bidirectional
// overrides ("Trojan Source": text that displays in another order than it parses).
// Tab stays: it ends nothing and shows as itself.
const HIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const showHidden = (text: string): string => text.replace(HIDDEN, visible);

// ---------------------------------------------------------------- TypeScript / JavaScript

/**
 * Text for a `//` comment: no line terminator (\n \r \u2028 \u2029 end it) and
 * no `*\/` either, so the same text is safe inside a block comment too.
 */
export const tsLineComment = (text: string): string => showHidden(text).replace(/\*\//g, '*\\/');

/** Text for a `/** … *\/` (JSDoc) comment: never closes it early. */
export const tsBlockComment = tsLineComment;

/**
 * A single-quoted string literal whose value is exactly `text`, also once the
 * file is written as UTF-8 (a lone surrogate is written as an escape).
 */
export function tsString(text: string): string {
  const body = text.replace(
    /[\\'\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (ch) => (ch === '\\' || ch === "'" ? `\\${ch}` : visible(ch)),
  );
  return `'${body}'`;
}

/**
 * A template literal (no `${…}` substitution) whose value is exactly `text`;
 * line feeds stay real (a shader reads as code), CR is escaped (a template
 * turns a raw CR into LF).
 */
export const tsTemplate = (text: string): string =>
  '`' + text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\r/g, '\\r') + '`';

/**
 * A JSON value as a JavaScript expression that is also safe inside an HTML
 * `<script>` element: no `</script>`, `<!--` or line separators can end or
 * change the script.
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

// ---------------------------------------------------------------- WGSL

// WGSL's line breaks: LF, VT, FF, CR, NEL, LS, PS (all in HIDDEN). Block comments
// nest in WGSL, so `/*` and `*/` are defused too: the comment stays a line comment.
/** Text for a WGSL `//` comment. */
export const wgslComment = (text: string): string => showHidden(text).replace(/\/\*/g, '/\\*').replace(/\*\//g, '*\\/');

// ---------------------------------------------------------------- HTML

const HTML_ENTITIES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
});
const entity = (ch: string): string => HTML_ENTITIES[ch] ?? ch;

/** Text content of an HTML element (not `<script>` or `<style>`: use scriptJson there). */
export const htmlText = (text: string): string => text.replace(/[&<>]/g, entity);

/** A quoted HTML attribute value (single or double quotes). */
export const htmlAttribute = (text: string): string => text.replace(/[&<>"']/g, entity);

/**
 * Text inside `<!-- … -->`: cannot end the comment (`-->`, `--!>`), open another
 * (`<!--`) or hold `--`; the comment stays on one line.
 */
export const htmlComment = (text: string): string =>
  showHidden(text)
    .replace(/[&<>]/g, entity)
    .replace(/--/g, '-&#45;');

// ---------------------------------------------------------------- Markdown

/** The longest run of `ch` in `text`. */
const longestRun = (text: string, ch: string): number => Math.max(0, ...(text.match(new RegExp(`\\${ch}+`, 'g')) ?? []).map((r) => r.length));

/**
 * A Markdown code span showing `text` literally: a fence longer than any run of
 * backticks inside, padded when `text` starts or ends with one; on one line.
 * In a table cell use markdownTableCode (a `|` splits cells even in code).
 */
export function markdownCodeSpan(text: string): string {
  const shown = showHidden(text);
  if (shown === '') return '` `'; // there is no empty code span: `` is plain text
  const fence = '`'.repeat(longestRun(shown, '`') + 1);
  const pad = shown.startsWith('`') || shown.endsWith('`') || (/^ .* $/.test(shown) && shown.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/** A code span inside a GFM table cell: `|` is escaped (GFM reads `\|` even in code). */
export const markdownTableCode = (text: string): string => markdownCodeSpan(text).replace(/\|/g, '\\|');

/**
 * Inline Markdown (CommonMark + GFM) text that shows `text` literally and stays
 * on one line. It is a whole inline context — a heading's, a table cell's or a
 * sentence's text, next to the caller's own words only — and must not start a
 * line (so block markers `-`, `1.`, a leading `#` need no escape) or be
 * followed by `(` or `[`. Within that, it escapes only what could act, so
 * ordinary names, paths and refs (`efficientnet_v2`, `stages[0]`, `HEAD~2`)
 * stay as written:
 * - `\\` `` ` `` `*` `<` `>` `&` `|`: always;
 * - `_`: where it could open or close emphasis (not between letters/digits);
 * - `~`: when the text holds two (GFM strikethrough needs a pair);
 * - `]`: before `(` or `[` (no emitter writes link definitions, so a lone
 *   `[x]` is literal);
 * - `#`: in a trailing run (a heading's closing sequence).
 */
export function markdownText(text: string): string {
  const shown = showHidden(text);
  const tildes = (shown.match(/~/g) ?? []).length;
  return shown
    .replace(/[\\`*<>&|]/g, '\\$&')
    .replace(/~/g, tildes > 1 ? '\\~' : '~')
    .replace(/_/g, (u, i: number, s: string) => (/[A-Za-z0-9]/.test(s[i - 1] ?? '') && /[A-Za-z0-9]/.test(s[i + 1] ?? '') ? u : '\\_'))
    .replace(/\](?=[([])/g, '\\]')
    .replace(/#(#* *)$/, '\\#$1');
}

/** A Markdown link to a relative path: the text escaped, every bracket too; each path segment percent-encoded. */
export const markdownLink = (text: string, path: string): string => {
  // Escape pairs are read first, so only a bracket markdownText left bare gets a backslash.
  const label = markdownText(text).replace(/\\[\s\S]|[[\]]/g, (m) => (m.length === 2 ? m : `\\${m}`));
  return `[${label}](${path.split('/').map(encodeURIComponent).join('/')})`;
};

// ---------------------------------------------------------------- CSV

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break (CR, LF). */
export const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

// ---------------------------------------------------------------- generated-file banners

/** The plain words of every generated file's banner; what `generate` looks for before touching a file. */
export const GENERATED_BY = 'generated by effnet';

/** The banner's text for a file made from `spec` (unescaped: wrap it with one of the functions below). */
export const bannerText = (spec: string): string => `${GENERATED_BY} from ${spec} — do not edit`;

/** The first line of a generated TypeScript module. */
export const tsBanner = (spec: string): string => `// ${tsLineComment(bannerText(spec))}`;

/** The first line of a generated Markdown or HTML file. */
export const htmlBanner = (spec: string): string => `<!-- ${htmlComment(bannerText(spec))} -->`;

/** A banner for a file made from no one spec (generated/README.md). */
export const htmlBannerPlain = (): string => `<!-- ${GENERATED_BY} — do not edit -->`;
