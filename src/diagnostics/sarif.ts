import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODES } from './codes.js';
import type { Diagnostic, Range } from './diagnostic.js';

// Diagnostics as SARIF 2.1.0 (`effnet check --format sarif`), the format GitHub
// code scanning reads: one run of the tool `effnet`, every diagnostic code a
// rule, every diagnostic a result at its file's region. SARIF regions, like
// our ranges, are 1-based with an exclusive end column counted in UTF-16 code
// units, so positions carry over unchanged. A place a diagnostic points back
// at is a related location, linked from the message (`[first given here](1)`,
// SARIF's embedded-link syntax, which GitHub turns into a link).

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const RULE_IDS = Object.keys(CODES);
const RULE_INDEX = new Map(RULE_IDS.map((id, i) => [id, i]));

/**
 * A file as a URI reference: a relative path stays relative (GitHub resolves it
 * against the repository root), each segment percent-encoded; an absolute path
 * becomes a `file:` URL.
 */
export function artifactUri(file: string): string {
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

export interface SarifOptions {
  /** The tool's version, when known. */
  version?: string;
}

const region = (r: Range) => ({ startLine: r.start.line, startColumn: r.start.column, endLine: r.end.line, endColumn: r.end.column });

/** Text in a message with embedded links: brackets (and the backslash that escapes them) are escaped, so only the links read as links. */
const literal = (text: string): string => text.replace(/[[\]\\]/g, '\\$&');

/** The message, a link to each related location (ids 1, 2, …), then the hint: one a line. */
function messageText(d: Diagnostic): string {
  const hint = d.hint === undefined ? [] : [`hint: ${d.hint}`];
  if (d.related === undefined) return [d.message, ...hint].join('\n');
  const links = d.related.map((r, i) => `[${literal(r.message)}](${i + 1})`);
  return [literal(d.message), ...links, ...hint.map(literal)].join('\n');
}

/** The SARIF log of `diagnostics`, as indented JSON with a final newline. */
export function renderSarif(diagnostics: readonly Diagnostic[], options: SarifOptions = {}): string {
  const rules = RULE_IDS.map((id) => ({
    id,
    shortDescription: { text: CODES[id as keyof typeof CODES] },
    defaultConfiguration: { level: id.startsWith('W') ? 'warning' : 'error' },
  }));
  const results = diagnostics.map((d) => {
    const index = RULE_INDEX.get(d.code);
    const uri = artifactUri(d.file);
    return {
      ruleId: d.code,
      ...(index === undefined ? {} : { ruleIndex: index }),
      level: d.severity,
      message: { text: messageText(d) },
      locations: [{ physicalLocation: { artifactLocation: { uri }, region: region(d.range) } }],
      ...(d.related === undefined
        ? {}
        : { relatedLocations: d.related.map((r, i) => ({ id: i + 1, physicalLocation: { artifactLocation: { uri }, region: region(r.range) }, message: { text: r.message } })) }),
    };
  });
  const driver = { name: 'effnet', ...(options.version === undefined ? {} : { version: options.version }), rules };
  const log = { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [{ tool: { driver }, columnKind: 'utf16CodeUnits', results }] };
  return JSON.stringify(log, null, 2) + '\n';
}
