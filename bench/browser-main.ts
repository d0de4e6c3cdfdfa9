import { benchBrowser } from './browser.js';

// `npm run bench:browser` (after a build): the browser bench alone, JSON on stdout, progress on stderr.
// `node dist/bench/browser-main.js [rounds] [--tfjs-webgpu]` (default 3 rounds; tfjs-backend-webgpu
// adds ~2 minutes on SwiftShader).

const args = process.argv.slice(2);
const tfjsWebgpu = args.includes('--tfjs-webgpu');
const rest = args.filter((a) => a !== '--tfjs-webgpu');
const rounds = Number(rest[0] ?? '3');
if (rest.length > 1 || !Number.isInteger(rounds) || rounds < 1) {
  console.error(`usage: node dist/bench/browser-main.js [rounds] [--tfjs-webgpu] (rounds: a positive integer, default 3)`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await benchBrowser(rounds, { tfjsWebgpu }), null, 2));
} catch (e) {
  console.error(`bench:browser failed: ${(e as Error).message}`);
  process.exit(1);
}
