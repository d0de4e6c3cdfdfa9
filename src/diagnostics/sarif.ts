import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODES } from './codes.js';
import type { Diagnostic } from './diagnostic.js';

// Diagnostics as SARIF 2.1.0 (`effnet check --format sarif`), the format GitHub
// code scanning reads: one run of the tool `effnet`, every diagnostic code a
// rule, every diagnostic a result at its file's region. SARIF regions, like
// our ranges, are 1-based with an exclusive end column counted in UTF-16 code
// units, so positions carry over unchanged.

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

/** The SARIF log of `diagnostics`, as indented JSON with a final newline. */
export function renderSarif(diagnostics: readonly Diagnostic[], options: SarifOptions = {}): string {
  const rules = RULE_IDS.map((id) => ({
    id,
    shortDescription: { text: CODES[id as keyof typeof CODES] },
    defaultConfiguration: { level: id.startsWith('W') ? 'warning' : 'error' },
  }));
  const results = diagnostics.map((d) => {
    const index = RULE_INDEX.get(d.code);
    return {
      ruleId: d.code,
      ...(index === undefined ? {} : { ruleIndex: index }),
      level: d.severity,
      message: { text: d.hint === undefined ? d.message : `${d.message}\nhint: ${d.hint}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: artifactUri(d.file) },
            region: {
              startLine: d.range.start.line,
              startColumn: d.range.start.column,
              endLine: d.range.end.line,
              endColumn: d.range.end.column,
            },
          },
        },
      ],
    };
  });
  const driver = { name: 'effnet', ...(options.version === undefined ? {} : { version: options.version }), rules };
  const log = { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [{ tool: { driver }, columnKind: 'utf16CodeUnits', results }] };
  return JSON.stringify(log, null, 2) + '\n';
}
