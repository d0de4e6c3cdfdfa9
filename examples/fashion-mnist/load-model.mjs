// Imports a generated `model.tfjs.ts` (and the `network.ts` beside it) without writing anything:
// types erased with the TypeScript compiler ts-morph bundles (an effnet dependency), each import
// pointed at a resolved URL, the modules loaded from `data:` URLs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ts } from 'ts-morph';

const toJs = (source) => ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
const dataUrl = (js) => `data:text/javascript;base64,${Buffer.from(js).toString('base64')}`;

/** Rewrites every `from '…'` (and bare `import '…'`) through `map`; specifiers it returns unchanged stay. */
const rewrite = (js, map) => js.replace(/(\bfrom\s*|\bimport\s*)(['"])([^'"]+)\2/g, (all, head, q, spec) => `${head}${q}${map(spec)}${q}`);

/**
 * The generated module in `dir`. `tfjsUrl`: the TensorFlow.js it runs on, whichever flavour it was
 * generated for (`@tensorflow/tfjs-node-gpu` and `@tensorflow/tfjs` share one API).
 */
export async function importGeneratedModel(dir, tfjsUrl) {
  const effnet = (spec) => (spec.startsWith('effnet/') ? import.meta.resolve(spec) : spec);
  const network = dataUrl(rewrite(toJs(readFileSync(join(dir, 'network.ts'), 'utf8')), effnet));
  const model = rewrite(toJs(readFileSync(join(dir, 'model.tfjs.ts'), 'utf8')), (spec) =>
    spec === './network.js' ? network : spec.startsWith('@tensorflow/tfjs') ? tfjsUrl : effnet(spec),
  );
  return import(dataUrl(model));
}
