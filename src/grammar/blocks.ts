import { ATTRIBUTE_KEYS, ATTRIBUTES, COMMON_ATTRIBUTES, type AttributeKey } from '../blocks/attributes.js';
import { BLOCK_KINDS } from '../blocks/registry.js';

// grammar/blocks.md: the block kinds and the stage attributes, printed from the
// registry (src/blocks/), so the reference lists exactly what the lowering takes.

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function kindsTaking(key: AttributeKey): string {
  if ((COMMON_ATTRIBUTES as readonly string[]).includes(key)) return 'all';
  return BLOCK_KINDS.filter((k) => k.takes.includes(key)).map((k) => `\`${k.name}\``).join(', ');
}

export function grammarBlocksMarkdown(): string {
  const lines = [
    '<!-- GENERATED from src/blocks/ by `npm run grammar`. DO NOT EDIT: edit the block kind or attribute there. -->',
    '',
    '# Block kinds and stage attributes',
    '',
    'A `stage` line is `stage BLOCK attributes…`: N blocks of one kind. Each kind lives in one file under',
    '`src/blocks/`; this page is printed from them. See [README.md](README.md) for the rest of the language.',
    '',
    '## Block kinds',
    '',
    'Every convolution has no bias and is followed by BatchNorm; "+ act" means the activation follows the norm',
    "(the stage's `act`, else the network's). \"mid\" is the expanded channel count, \"in\" the block's input channels.",
    '',
    '| Block | Aliases | Layers | Takes beyond the common attributes | Residual by default |',
    '| --- | --- | --- | --- | --- |',
    ...BLOCK_KINDS.map((k) =>
      [
        '',
        `\`${k.name}\``,
        k.aliases.map((a) => `\`${a}\``).join(', ') || '—',
        cell(k.doc),
        k.takes.map((a) => `\`${a}\``).join(', ') || '—',
        k.defaultSkip === 'auto' ? 'where possible (`skip auto`)' : 'no (`skip off`)',
        '',
      ].join(' | ').trim(),
    ),
    '',
    `Common attributes, taken by every kind: ${COMMON_ATTRIBUTES.map((a) => `\`${a}\``).join(', ')}.`,
    '',
    '## Stage attributes',
    '',
    '| Attribute | Meaning | Values | Kinds |',
    '| --- | --- | --- | --- |',
    ...ATTRIBUTE_KEYS.map((key) => {
      const a = ATTRIBUTES[key];
      return ['', `\`${a.syntax}\``, cell(a.doc), cell(a.values) || '(a flag)', kindsTaking(key), ''].join(' | ').trim();
    }),
    '',
  ];
  return lines.join('\n');
}
