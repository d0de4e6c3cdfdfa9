import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

// What several benches share: the b0 fixture, timing statistics, logit distances, the machine's load, and
// torchvision's own ONNX export of the fixture's weights (the peer the CPU benches run).

export const B0_WEIGHTS = join('test', 'fixtures', 'b0', 'weights.safetensors');
const REFERENCE_SCRIPT = join('scripts', 'fixtures', 'make_onnx_reference.py');
const PYTHON = process.env.EFFNET_PYTHON ?? '/usr/bin/python3';

/** Median, min and max of timings in ms, to the microsecond. */
export const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Number(x.toFixed(3));
  return { medianMs: r(s[s.length >> 1]!), minMs: r(s[0]!), maxMs: r(s[s.length - 1]!) };
};

/** The largest |a − b| (Infinity when the lengths differ): how far two engines' logits are apart. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The 1, 5 and 15 minute load averages: how busy the machine was while a bench ran. */
export const load = () => loadavg().map((x) => Number(x.toFixed(2)));

/**
 * torchvision's b0 with the b0 fixture's weights as ONNX, made once by the reference script (which
 * writes a temp file and renames it) into a cache keyed by weights + script; or why it cannot be made.
 */
export function torchvisionOnnx(): { path: string } | { unavailable: string } {
  if (!existsSync(REFERENCE_SCRIPT)) return { unavailable: `${REFERENCE_SCRIPT} is missing` };
  const key = createHash('sha256').update(readFileSync(B0_WEIGHTS)).update(readFileSync(REFERENCE_SCRIPT)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'effnet-bench-onnx');
  const path = join(dir, `torchvision_efficientnet_b0.${key}.onnx`);
  if (existsSync(path)) return { path };
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.error || probe.status !== 0) return { unavailable: `${PYTHON} with torch and torchvision is needed to make torchvision's export (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()})` };
  mkdirSync(dir, { recursive: true });
  const made = spawnSync(PYTHON, [REFERENCE_SCRIPT, path, B0_WEIGHTS], { encoding: 'utf8', timeout: 600_000 });
  if (made.status !== 0 || !existsSync(path)) return { unavailable: `${REFERENCE_SCRIPT} failed: ${(made.stderr || made.error?.message || '').trim().split('\n').pop()}` };
  return { path };
}
