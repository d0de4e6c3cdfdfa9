import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { registerConvert } from '../src/cli/convert-command.js';
import type { CommandContext } from '../src/cli/io.js';
import { modelLayers, modelSpec } from '../src/graph/model-spec.js';
import { bindCheckpoint } from '../src/runtime/checkpoint.js';
import { parseCheckpoint, parsePth } from '../src/runtime/pth.js';
import { parseSafetensors, WeightsError, type SafetensorsFile } from '../src/runtime/safetensors.js';
import { tfjsRuntime } from '../src/runtime/tfjs.js';
import { readCheckpointFile } from '../src/weights/checkpoint-file.js';
import { graphOf, importGenerated, maxAbsDiff, readF32, root, tf, useBackend } from './support/tfjs.js';

// torch.save checkpoints (fixtures saved by Debian's torch with
// scripts/fixtures/make_pth_fixture.py) read by the restricted unpickler:
// every dtype gives torch's own float32 values, the b0 fixture's .pth equals
// its safetensors twin, and what is not a state_dict (a pickle that runs code,
// a pre-1.6 file, a damaged archive) is refused as a WeightsError.

const dir = join(root, 'test/fixtures/pth');
const fixture = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

interface Expected {
  entry: string | null;
  skipped: string[];
  tensors: Record<string, { dtype: string; shape: number[]; f32: string }>;
}
const expected = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { fixtures: Record<string, Expected> }).fixtures;

/** float32 values from little-endian hex. */
const fromHex = (hex: string) => new Float32Array(Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16)).buffer);

/** Equal as float32 bit patterns, NaN matching any NaN; the first difference otherwise. */
function firstDifference(a: Float32Array, b: Float32Array): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return `index ${i}: ${a[i]} vs ${b[i]}`;
  return undefined;
}

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof WeightsError) return e.message;
    throw e;
  }
  throw new Error('not refused');
};

// --- pickles and archives written here, for what torch never writes -----------------

const enc = new TextEncoder();
type Part = string | number[] | Uint8Array;
const bytesOf = (...parts: Part[]): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
};
const str = (s: string): Part[] => {
  const b = enc.encode(s);
  return ['X', [b.length & 0xff, (b.length >> 8) & 0xff, 0, 0], b];
};
const int = (n: number): Part[] => ['J', Array.from(new Uint8Array(new Int32Array([n]).buffer))];
const tuple = (items: number[]): Part[] => ['(', ...items.flatMap(int), 't'];
const ORDERED_DICT: Part[] = ['ccollections\nOrderedDict\n)R'];

interface View {
  name: string;
  storage?: string;
  key?: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}
/** A protocol-2 state_dict pickle as torch writes one: OrderedDict, _rebuild_tensor_v2, persistent ids. */
function statePickle(views: View[]): Uint8Array {
  const tensor = (v: View): Part[] => {
    const stride = v.stride ?? v.shape.map((_, i) => v.shape.slice(i + 1).reduce((a, d) => a * d, 1));
    return [
      ...str(v.name),
      'ctorch._utils\n_rebuild_tensor_v2\n(',
      ...['(', ...str('storage'), `ctorch\n${v.storage ?? 'FloatStorage'}\n`, ...str(v.key ?? '0'), ...str('cpu'), ...int(v.numel), 't', 'Q'],
      ...int(v.offset ?? 0),
      ...tuple(v.shape),
      ...tuple(stride),
      [0x89],
      ...ORDERED_DICT,
      'tR',
    ];
  };
  return bytesOf([0x80, 0x02], ...ORDERED_DICT, '(', ...views.flatMap(tensor), 'u.');
}
const zip = (entries: Record<string, Uint8Array>, level: 0 | 6 = 0) => zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level }]])));
const f32 = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

describe('torch.save checkpoints saved by torch 1.13', () => {
  for (const [name, want] of Object.entries(expected)) {
    it(`${name} parses to torch's tensors, dtypes, shapes and float32 values`, () => {
      const file = parsePth(fixture(name), name);
      expect(file.entry).toBe(want.entry ?? undefined);
      expect(file.skipped).toEqual(want.skipped);
      expect([...file.tensors.keys()]).toEqual(Object.keys(want.tensors));
      for (const [tensor, w] of Object.entries(want.tensors)) {
        const t = file.tensors.get(tensor)!;
        expect({ dtype: t.dtype, shape: t.shape }, tensor).toEqual({ dtype: w.dtype, shape: w.shape });
        expect(firstDifference(t.data, fromHex(w.f32)), `${name} ${tensor}`).toBeUndefined();
      }
    });
  }

  it('the fixtures cover every storage type, strided and offset views, wrappers and protocol 4', () => {
    const dtypes = new Set(Object.values(expected).flatMap((e) => Object.values(e.tensors).map((t) => t.dtype)));
    expect([...dtypes].sort()).toEqual(['BF16', 'BOOL', 'F16', 'F32', 'F64', 'I16', 'I32', 'I64', 'I8', 'U8']);
    // A transposed view: its values are the row-major copy torch's .contiguous() gives.
    const t = parsePth(fixture('f32.pth')).tensors;
    expect(t.get('extra.transposed')!.shape).toEqual([5, 3]);
    expect(t.get('extra.transposed')!.data[1]).toBe(t.get('extra.row')!.data[0]);
    expect(t.get('1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [], data: new Float32Array([7]) });
    expect(expected['wrapped.pth']!.entry).toBe('model');
    expect(expected['protocol4.pth']!.entry).toBe('state_dict');
  });

  it('reads a deflated archive (one re-zipped) as the stored one', () => {
    const stored = fixture('f16.pth');
    const entries = unzipSync(stored);
    const a = parsePth(stored).tensors;
    const b = parsePth(zip(entries, 6)).tensors;
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, t] of a) expect(firstDifference(b.get(k)!.data, t.data), k).toBeUndefined();
  });

  it('reads a big-endian archive (byteorder `big`) as a little-endian one', () => {
    const views = [
      { name: 'w', numel: 3, shape: [3] },
      { name: 'h', storage: 'HalfStorage', key: '1', numel: 2, shape: [2] },
    ];
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer); // 1, -2
    const little = parsePth(zip({ 'a/data.pkl': statePickle(views), 'a/data/0': f32(1.5, -2, 3.25), 'a/data/1': half, 'a/byteorder': enc.encode('little') }));
    const swap = (b: Uint8Array, n: number) => Uint8Array.from(b, (_, i) => b[i - (i % n) + (n - 1 - (i % n))]!);
    const big = parsePth(zip({ 'a/data.pkl': statePickle(views), 'a/data/0': swap(f32(1.5, -2, 3.25), 4), 'a/data/1': swap(half, 2), 'a/byteorder': enc.encode('big') }));
    expect([...little.tensors.get('w')!.data]).toEqual([1.5, -2, 3.25]);
    expect([...little.tensors.get('h')!.data]).toEqual([1, -2]);
    for (const k of ['w', 'h']) expect([...big.tensors.get(k)!.data]).toEqual([...little.tensors.get(k)!.data]);
  });
});

describe('the b0 fixture as a .pth (torchvision efficientnet_b0.half().state_dict())', () => {
  const pth = parsePth(fixture('b0.pth'), 'b0.pth');
  const twin = parseSafetensors(new Uint8Array(readFileSync(join(root, 'test/fixtures/b0/weights.safetensors'))));

  it('holds exactly the safetensors twin\'s tensors (names, shapes, float32 values), plus num_batches_tracked', () => {
    const counters = [...pth.tensors.keys()].filter((k) => k.endsWith('.num_batches_tracked'));
    expect(counters.length).toBe(49); // every BatchNorm of b0
    expect(pth.tensors.size).toBe(twin.tensors.size + counters.length);
    expect(twin.tensors.size).toBe(311);
    for (const [name, t] of twin.tensors) {
      const p = pth.tensors.get(name);
      expect(p, name).toBeDefined();
      expect({ dtype: p!.dtype, shape: p!.shape }, name).toEqual({ dtype: 'F16', shape: t.shape });
      expect(firstDifference(p!.data, t.data), name).toBeUndefined();
    }
  });

  it('gives the fixture\'s logits on tfjs, identical to the safetensors twin\'s', async () => {
    await useBackend('wasm');
    const g = graphOf('specs/efficientnet.effnet', 'b0');
    const mod = await importGenerated(g);
    const meta = JSON.parse(readFileSync(join(root, 'test/fixtures/b0/meta.json'), 'utf8')) as { input: { shape: [number, number, number, number] } };
    const input = tfjsRuntime(tf).fromNchw(readF32(join(root, 'test/fixtures/b0/input.f32')), meta.input.shape);
    const run = (file: SafetensorsFile) => {
      const infer = mod.createInference(bindCheckpoint(file, modelLayers(modelSpec(g)), 'torchvision', 'efficientnet b0'));
      const y = infer(input);
      const logits = y.dataSync() as Float32Array;
      y.dispose();
      infer.dispose();
      return logits;
    };
    const fromPth = run(pth);
    expect(maxAbsDiff(fromPth, readF32(join(root, 'test/fixtures/b0/logits.f32')))).toBeLessThan(1e-4);
    expect(firstDifference(fromPth, run(twin))).toBeUndefined();
    input.dispose();
  }, 120_000);

  it('parseCheckpoint tells the two formats apart by their bytes', () => {
    expect(parseCheckpoint(fixture('b0.pth')).tensors.size).toBe(pth.tensors.size);
    expect(parseCheckpoint(new Uint8Array(readFileSync(join(root, 'test/fixtures/b0/weights.safetensors')))).tensors.size).toBe(twin.tensors.size);
  });
});

describe('what is not a state_dict is refused, and nothing runs', () => {
  const marker = join(process.cwd(), 'effnet-pth-pwned');

  for (const [name, global] of [
    ['malicious_system.pth', 'os.system'],
    ['malicious_eval.pth', 'builtins.eval'],
  ]) {
    it(`${name} (a pickle that calls ${global}) is refused by name, and its payload never runs`, () => {
      rmSync(marker, { force: true });
      const message = refusal(() => parseCheckpoint(fixture(name), name));
      expect(message).toBe(`${name}: data.pkl byte 54 (GLOBAL): refuses to run code: global \`${global}\` is not a tensor or a state_dict container (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage)`);
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('a global named by STACK_GLOBAL (protocol 4) is refused the same way', () => {
    const pkl = bytesOf([0x80, 0x04], [0x8c, 5], 'posix', [0x94, 0x8c, 6], 'system', [0x94, 0x93]);
    expect(refusal(() => parsePth(zip({ 'a/data.pkl': pkl })))).toMatch(/byte 19 \(STACK_GLOBAL\): refuses to run code: global `posix\.system` is not a tensor/);
  });

  it('opcodes that build objects, or are no opcode, are refused by name', () => {
    const withOp = (...op: Part[]) => refusal(() => parsePth(zip({ 'a/data.pkl': bytesOf([0x80, 0x02], ...op) })));
    expect(withOp('(ios\nsystem\n.')).toMatch(/byte 3 \(INST\): an opcode a state_dict pickle does not use; refused$/);
    expect(withOp(...ORDERED_DICT, ')', [0x81], '.')).toMatch(/\(NEWOBJ\): an opcode a state_dict pickle does not use/);
    expect(withOp([0xff])).toMatch(/byte 2 \(0xff\): not a pickle opcode/);
    // An allowed global that is not a function is not called either.
    expect(withOp('ctorch\nFloatStorage\n)R.')).toMatch(/\(REDUCE\): calls a type, which is not a function/);
    expect(withOp(...ORDERED_DICT)).toMatch(/ends without STOP \(truncated\)/);
  });

  it('a pre-1.6 torch.save file says how to re-save it', () => {
    const why = 'a pre-1.6 torch.save file (not a zip archive); re-save it with torch>=1.6';
    expect(refusal(() => parseCheckpoint(fixture('legacy.pth'), 'legacy.pth'))).toContain(`legacy.pth: ${why}`);
    // A bare pickle (pickle.dump of a dict) and a tar archive (torch < 0.4) read the same way.
    expect(refusal(() => parseCheckpoint(bytesOf([0x80, 0x02, 0x7d, 0x2e])))).toContain(why);
    const tar = new Uint8Array(1024);
    tar.set(enc.encode('ustar'), 257);
    expect(refusal(() => parseCheckpoint(tar))).toContain(why);
  });

  it('a storage shorter than its tensor needs is refused, whichever way it is short', () => {
    const one = (view: View, data: Uint8Array) => refusal(() => parsePth(zip({ 'a/data.pkl': statePickle([view]), 'a/data/0': data })));
    expect(one({ name: 'w', numel: 6, shape: [2, 3] }, f32(1, 2))).toMatch(/storage `0` holds 8 bytes, but 6 F32 elements need 24 \(a storage shorter than the tensor needs\)/);
    expect(one({ name: 'w', numel: 2, shape: [3] }, f32(1, 2))).toMatch(/a tensor \[3\] at offset 0 with strides \[1\] reaches element 2 of storage `0`, which holds 2/);
    expect(one({ name: 'w', numel: 2, offset: 1, shape: [2] }, f32(1, 2))).toMatch(/reaches element 2 of storage `0`/);
    // Repeating elements (stride 0) would let a small file ask for any amount of memory.
    expect(one({ name: 'w', numel: 2, shape: [1000, 2], stride: [0, 1] }, f32(1, 2))).toMatch(/has 2000 elements, more than its storage `0` holds \(2\)/);
    expect(one({ name: 'w', numel: 2, shape: [2], key: '7' }, f32(1, 2))).toMatch(/storage `7` has no record `a\/data\/7` in the archive/);
  });

  it('a truncated archive is refused at every length, never read past its end', () => {
    const whole = fixture('f32.pth');
    const reasons = new Set<string>();
    for (let n = 0; n < whole.length; n++) reasons.add(refusal(() => parseCheckpoint(whole.subarray(0, n), 'f32.pth')).replace(/\d+/g, 'N'));
    // Every cut loses the end record, so every one says so (or, under 8 bytes, that it is too short to be anything).
    expect([...reasons].filter((r) => !/zip directory is missing \(a truncated file/.test(r) && !/too short/.test(r))).toEqual([]);
  });

  it('a corrupted byte anywhere is refused as a WeightsError or read as the CRC allows, never a crash', () => {
    const whole = fixture('f32.pth');
    let refused = 0;
    for (let i = 0; i < whole.length; i++) {
      const bad = whole.slice();
      bad[i]! ^= 0x5a;
      try {
        parsePth(bad);
      } catch (e) {
        expect(e, `byte ${i}`).toBeInstanceOf(WeightsError);
        refused++;
      }
    }
    // The CRC-32s cover the pickle and the storages; only padding, names of unread records and the like may change.
    expect(refused).toBeGreaterThan(whole.length / 2);
  });

  it('names what it holds when it holds no state_dict', () => {
    const dump = (pkl: Uint8Array) => refusal(() => parsePth(zip({ 'a/data.pkl': pkl })));
    expect(dump(bytesOf([0x80, 0x02], '}(', ...str('epoch'), ...int(3), 'u.'))).toMatch(/it holds no state_dict: no tensors at the top level \(its keys: `epoch`\), and none under `state_dict`, `model`, `model_state_dict`$/);
    expect(dump(bytesOf([0x80, 0x02], ']', '.'))).toMatch(/it holds a list, not a state_dict \(save model\.state_dict\(\), not the model\)$/);
    expect(refusal(() => parsePth(zip({ 'm/constants.pkl': bytesOf('.'), 'm/code/m.py': enc.encode('') })))).toMatch(/a TorchScript archive \(torch\.jit\.save\)/);
    expect(refusal(() => parsePth(zip({ 'x.txt': enc.encode('hi') })))).toMatch(/no <name>\/data\.pkl/);
  });
});

describe('readCheckpointFile and effnet convert', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'effnet-pth-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const convert = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    let code = 0;
    const ctx = { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), cwd: tmp, color: false }, setCode: (c: number) => (code = c) } as unknown as CommandContext;
    const program = new Command().exitOverride();
    registerConvert(program, ctx);
    await program.parseAsync(['convert', ...argv], { from: 'user' });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  it('reads a .pth whole and a safetensors file by its header, each capped', () => {
    const pth = join(dir, 'f32.pth');
    expect(readCheckpointFile(pth, 'weights f32.pth', { maxBytes: 2 ** 20 })).toEqual(fixture('f32.pth'));
    expect(() => readCheckpointFile(pth, 'weights f32.pth', { maxBytes: 1000, flag: '--max-weights-mib' })).toThrow(/weights f32\.pth is 3856 bytes, over the 0 MiB limit; --max-weights-mib raises the limit/);
    const st = join(root, 'test/fixtures/b0/weights.safetensors');
    expect(readCheckpointFile(st, 'weights w', { maxBytes: 2 ** 30 }).byteLength).toBe(readFileSync(st).byteLength);
  });

  it('writes the F32 safetensors file of a wrapped state_dict, equal to the .pth tensors', async () => {
    const r = await convert(join(dir, 'wrapped.pth'), 'out.safetensors');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const size = readFileSync(join(tmp, 'out.safetensors')).byteLength;
    expect(r.stdout).toBe(`wrote out.safetensors: 12 tensors (F32, I64 → F32, ${size} bytes) from ${join(dir, 'wrapped.pth')}'s \`model\` entry\n`);
    const written = parseSafetensors(new Uint8Array(readFileSync(join(tmp, 'out.safetensors'))));
    expect(written.metadata).toEqual({ format: 'pt', converted_from: 'wrapped.pth', state_dict_key: 'model' });
    const source = parsePth(fixture('wrapped.pth'));
    expect([...written.tensors.keys()]).toEqual([...source.tensors.keys()]);
    for (const [k, t] of source.tensors) {
      expect(written.tensors.get(k)).toMatchObject({ dtype: 'F32', shape: t.shape });
      expect(firstDifference(written.tensors.get(k)!.data, t.data), k).toBeUndefined();
    }
  });

  it('refuses a malicious checkpoint with exit 1 and writes nothing', async () => {
    const r = await convert(join(dir, 'malicious_system.pth'), 'bad.safetensors');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^effnet: .*malicious_system\.pth: data\.pkl byte 54 \(GLOBAL\): refuses to run code: global `os\.system`/);
    expect(existsSync(join(tmp, 'bad.safetensors'))).toBe(false);
  });

  it('never writes over its input', async () => {
    const copy = join(tmp, 'in.pth');
    writeFileSync(copy, fixture('f16.pth'));
    await expect(convert('in.pth', 'in.pth')).rejects.toThrow(/^output in\.pth is the input; name another file$/);
    expect(readFileSync(copy)).toEqual(Buffer.from(fixture('f16.pth')));
    await expect(convert('in.pth', '.')).rejects.toThrow(/^output \. is a directory; name a file in it$/);
  });
});

describe('effnet infer --weights b0.pth (the built CLI)', () => {
  for (const target of ['tfjs', 'wgsl'] as const) {
    it(`${target}: torchvision's logits within 1e-4, as from the safetensors twin`, () => {
      const out = mkdtempSync(join(tmpdir(), 'effnet-pth-infer-'));
      const p = spawnSync(
        process.execPath,
        [join(root, 'dist/src/cli/main.js'), 'infer', join(root, 'specs/efficientnet.effnet'), '--variant', 'b0', '--target', target, '--weights', join(dir, 'b0.pth'), '--input', join(root, 'test/fixtures/b0/input.f32'), '--out', join(out, 'logits.f32')],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(p.stderr.replace(/^Warning: \w+ artificially reduced .*\n/gm, '')).toBe('');
      expect(p.status).toBe(0);
      expect(maxAbsDiff(readF32(join(out, 'logits.f32')), readF32(join(root, 'test/fixtures/b0/logits.f32')))).toBeLessThan(1e-4);
    }, 180_000);
  }
});
