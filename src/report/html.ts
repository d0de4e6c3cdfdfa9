import { MACS_DEFINITION, MEMORY_DEFINITION, PARAMS_DEFINITION, type VariantCost } from '../cost/cost.js';
import { htmlAttribute, htmlBanner, htmlText } from '../emit/escape.js';
import type { VariantGraph } from '../graph/graph.js';
import { livenessCurve } from './liveness.js';
import type { ReportInput, ReportOptions } from './report.js';
import { kindLegend, kindsOf, stripFigure, stripLayout } from './svg/architecture.js';
import { inlineSvg, type Figure } from './svg/render.js';
import { scalingFigures, type ScalingChart } from './svg/scaling.js';
import { livenessFigure, shareFigure } from './svg/stages.js';
import { htmlTable } from './table.js';
import { featureRows, layerRows, shapeNotes, stageRows, summaryRows, variantSentence } from './tables.js';

// The HTML report: one self-contained page per family. Pictures first (scaling
// across variants, every variant's architecture strip, per-variant stage shares
// and memory), then the Markdown report's tables. No script, no external
// resource: the CSP forbids any load, so the page works from file:// offline.

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1e23; background: #fff; margin: 0 auto; max-width: 1080px; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0; } h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #d8dbe0; } h3 { font-size: 15px; margin: 16px 0 6px; }
p.definitions { color: #555b66; font-size: 12px; }
code { font: 12px ui-monospace, monospace; background: #f2f3f5; padding: 1px 4px; border-radius: 3px; }
nav a { margin-right: 10px; }
figure { margin: 12px 0; overflow-x: auto; }
figure svg { display: block; max-width: none; height: auto; }
figcaption { color: #555b66; font-size: 12px; margin-top: 2px; }
.charts { display: flex; flex-wrap: wrap; gap: 0 24px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 8px; border-bottom: 1px solid #e6e8eb; text-align: left; white-space: nowrap; }
th { background: #f6f7f9; } .r { text-align: right; }
.scroll { overflow-x: auto; }
`;

/** A figure on the page; `attrs` and `caption` are the caller's own, already escaped. */
export const figureHtml = (f: Figure, attrs: string, caption?: string): string =>
  `<figure ${attrs}>\n${inlineSvg(f)}\n${caption === undefined ? '' : `<figcaption>${caption}</figcaption>\n`}</figure>`;

const anchor = (prefix: string, name: string) => `${prefix}-${name}`;
const link = (prefix: string, name: string) => `#${encodeURIComponent(anchor(prefix, name))}`;

function variantSection(v: VariantCost, g: VariantGraph, options: ReportOptions): string {
  const name = htmlText(v.name);
  const out = [
    `<section class="variant" id="${htmlAttribute(anchor('variant', v.name))}" data-variant="${htmlAttribute(v.name)}">`,
    `<h2>${name}</h2>`,
    `<p>${htmlText(variantSentence(v))}</p>`,
    '<div class="charts">',
    figureHtml(shareFigure(v), 'class="chart share"', `Each stage's share of ${name}'s MACs and parameters.`),
    figureHtml(
      livenessFigure(v, livenessCurve(g)),
      'class="chart liveness"',
      `Activation memory held at each layer of one inference of ${name} (float32, one image); its peak is the summary's "activations (peak)".`,
    ),
    '</div>',
    '<h3>Stages</h3>',
    `<div class="scroll">${htmlTable(stageRows(v))}</div>`,
  ];
  const notes = shapeNotes(v, (phrase) => `<code>${htmlText(phrase)}</code>`);
  if (notes.length > 0) out.push(`<p>${notes.join(' ')}</p>`);
  if (v.features.length > 0) out.push('<h3>Feature maps</h3>', `<div class="scroll">${htmlTable(featureRows(v))}</div>`);
  if (options.perLayer) out.push('<h3>Layers</h3>', `<div class="scroll">${htmlTable(layerRows(v))}</div>`);
  out.push('</section>');
  return out.join('\n');
}

export function htmlReport(r: ReportInput, options: ReportOptions = {}): string {
  const graphs = new Map(r.graphs.map((g) => [g.variant, g]));
  const graphOf = (v: VariantCost): VariantGraph => {
    const g = graphs.get(v.name);
    if (!g) throw new Error(`report input: no graph for variant ${v.name}`);
    return g;
  };
  const family = htmlText(r.family);
  const layouts = r.variants.map((v) => stripLayout(graphOf(v)));
  const scaling = scalingFigures(r.variants, options.metrics);
  const captions: Record<ScalingChart, string> = {
    cost: 'Parameters and MACs per variant (log scale).',
    multipliers: `Width and depth multipliers, and the input resolution over ${htmlText(r.variants[0]?.name ?? '')}'s.`,
    'accuracy-params': "Top-1 accuracy against parameters (the EfficientNet paper's Figure 1 axes).",
    'accuracy-macs': 'Top-1 accuracy against MACs.',
  };
  const body = [
    '<header>',
    `<h1>${family}: cost report</h1>`,
    `<p>From <code>${htmlText(r.spec)}</code>. ${r.variants.length} variant${r.variants.length === 1 ? '' : 's'}.</p>`,
    `<p class="definitions">${htmlText(`${MACS_DEFINITION} ${PARAMS_DEFINITION} ${MEMORY_DEFINITION}`)}</p>`,
    `<nav>${r.variants.map((v) => `<a href="${htmlAttribute(link('variant', v.name))}">${htmlText(v.name)}</a>`).join(' ')}</nav>`,
    '</header>',
    '<section id="scaling">',
    '<h2>Scaling</h2>',
    '<div class="charts">',
    ...scaling.map((c) => figureHtml(c.figure, `class="chart scaling" id="chart-${c.chart}"`, captions[c.chart])),
    '</div>',
    '</section>',
    '<section id="summary">',
    '<h2>Summary</h2>',
    `<div class="scroll">${htmlTable(summaryRows(r.variants))}</div>`,
    '</section>',
    '<section id="architecture">',
    '<h2>Architecture</h2>',
    "<p>Each box is the stem, a block, the head or the classifier, in order: width grows with the log of its output channels, height with its output height; each stage's output shape is under it. Hover a box for its own and its stage's parameters and MACs.</p>",
    figureHtml(kindLegend(kindsOf(layouts)), 'class="legend"'),
    ...r.variants.map((v, i) => figureHtml(stripFigure(layouts[i]!), `class="strip" id="${htmlAttribute(anchor('strip', v.name))}" data-variant="${htmlAttribute(v.name)}"`)),
    '</section>',
    ...r.variants.map((v) => variantSection(v, graphOf(v), options)),
  ];
  return htmlPage({ title: `${r.family}: cost report`, banner: options.banner ? r.spec : undefined, body });
}

export interface HtmlPage {
  /** The <title> (a user word: escaped here). */
  title: string;
  /** The spec path for a "generated by effnet … — do not edit" first line (files under generated/). */
  banner?: string;
  /** The <body>'s HTML, already escaped. */
  body: readonly string[];
}

/** A self-contained page with the report's style: no script, and a CSP that forbids every load. */
export function htmlPage(p: HtmlPage): string {
  return [
    ...(p.banner === undefined ? [] : [htmlBanner(p.banner)]),
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${htmlText(p.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...p.body,
    '</body>',
    '</html>',
  ].join('\n') + '\n';
}
