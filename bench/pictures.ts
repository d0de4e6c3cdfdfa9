import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { compileSource } from '../src/compile/compile.js';
import { familyOutputs, specFiles } from '../src/generate/generate.js';
import { reportInput } from '../src/report/report.js';
import { architectureSvg } from '../src/report/svg/architecture.js';
import { scalingSvg } from '../src/report/svg/scaling.js';

// What the pictures add to `effnet generate`: the two SVGs of every shipped family, against the
// report target's whole output (tables and pictures) for the same specs, measured in one process.

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchPictures(runs: number) {
  const compiled = specFiles('specs').map((f) => compileSource(readFileSync(f, 'utf8'), f));
  const pictures = () => {
    const t0 = performance.now();
    for (const c of compiled) {
      architectureSvg(c.graphs, { banner: c.file });
      scalingSvg(reportInput(c.family!.name, c.file, c.graphs).variants, { family: c.family!.name, banner: c.file });
    }
    return performance.now() - t0;
  };
  const reports = async () => {
    const t0 = performance.now();
    for (const c of compiled) await familyOutputs(c, { targets: ['report'] });
    return performance.now() - t0;
  };
  pictures(); // warm-up: Plot's and linkedom's first use
  await reports();
  const p = median(Array.from({ length: runs }, pictures));
  const r: number[] = [];
  for (let i = 0; i < runs; i++) r.push(await reports());
  const all = median(r);
  return { families: compiled.length, picturesMs: Number(p.toFixed(1)), reportTargetMs: Number(all.toFixed(1)), picturesShareOfReportTarget: Number((p / all).toFixed(2)) };
}
