import { constants as buffer } from 'node:buffer';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../src/compile/compile.js';
import { ReadError } from '../src/io/read.js';
import { NonfiniteWeightsError } from '../src/runtime/checkpoint.js';
import { quote, writeSafetensors } from '../src/runtime/safetensors.js';
import { bindWeights } from '../src/weights/layout.js';
import { DEFAULT_MAX_WEIGHTS_MIB, readSafetensorsFile } from '../src/weights/read.js';
import { parseSafetensors, WeightsError } from '../src/weights/safetensors.js';

// Hostile safetensors files (issue 14, items 5 and 11): every one is a
// WeightsError or ReadError whose one line says exactly what is wrong, with
// numbers as written and names that cannot drive a terminal.

const root = resolve(import.meta.dirname, '..');
const narrowDir = join(root, 'test/fixtures/narrow');
const fixture = new Uint8Array(readFileSync(join(narrowDir, 'weights.safetensors')));
const narrow = compileFile(join(narrowDir, 'narrow.effnet')).graphs[0]!;

/** A safetensors file with `header` (JSON text, as written) and `data` bytes after it. */
function file(header: string, data: Uint8Array | number = 0): Uint8Array {
  const head = new TextEncoder().encode(header);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + head.byteLength + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  out.set(body, 8 + head.byteLength);
  return out;
}

const error = (bytes: Uint8Array): string => {
  try {
    parseSafetensors(bytes, 'w.st');
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    return (e as Error).message;
  }
  throw new Error('parsed without an error');
};

const f32 = (name: string, begin: number, n = 2) => `${JSON.stringify(name)}:{"dtype":"F32","shape":[${n}],"data_offsets":[${begin},${begin + 4 * n}]}`;

describe('the safetensors header', () => {
  it('refuses a tensor named twice (JSON.parse would keep the last one silently)', () => {
    expect(error(file(`{${f32('x', 0)},${f32('x', 8)}}`, 16))).toBe('w.st: the header names `x` twice');
  });

  it('refuses a field given twice inside an entry', () => {
    expect(error(file('{"x":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}}', 8))).toBe("w.st: the header's entry `x` names `dtype` twice");
  });

  it('refuses bytes after the last tensor, and bytes between tensors', () => {
    expect(error(file(`{${f32('x', 0)}}`, 9))).toBe('w.st: 1 bytes follow the last tensor (the data section is 9 bytes, its tensors end at 8)');
    expect(error(file(`{${f32('x', 0)},${f32('y', 12)}}`, 20))).toBe('w.st: bytes 8 to 12 of the data section belong to no tensor');
  });

  it('a dtype such as `constructor` is unknown, not "needs NaN bytes"', () => {
    for (const dtype of ['constructor', '__proto__', 'toString']) {
      expect(error(file(`{"x":{"dtype":"${dtype}","shape":[2],"data_offsets":[0,8]}}`, 8))).toBe(`w.st: tensor \`x\` has dtype \`${dtype}\`; supported: F32, F16, BF16, F64, I64`);
    }
  });

  it('quotes offsets, sizes and header lengths exactly as written, beyond 2^53 too', () => {
    expect(error(file('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,9223372036854775807]}}', 8))).toBe(
      'w.st: tensor `x` ends at byte 9223372036854775807 of a 8-byte data section (truncated file)',
    );
    expect(error(file('{"x":{"dtype":"F32","shape":[4503599627370496,4096],"data_offsets":[0,8]}}', 8))).toBe(
      'w.st: tensor `x` [4503599627370496, 4096] F32 needs 73786976294838206464 bytes but has 8',
    );
    expect(error(file('{"x":{"dtype":"F32","shape":[0,9007199254740993],"data_offsets":[0,0]}}'))).toBe(
      'w.st: tensor `x` has an invalid shape [0, 9007199254740993] (dimensions are whole numbers up to 2^53 − 1)',
    );
    expect(error(file('{"x":{"dtype":"F32","shape":[2],"data_offsets":[-0,8.0]}}', 8))).toBe('w.st: tensor `x` has invalid data offsets [-0, 8.0]');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expect(error(huge)).toBe('w.st: the header claims 18446744073709551615 bytes but only 8 follow (truncated, or not a safetensors file)');
    for (const bytes of [file('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,9223372036854775807]}}', 8), huge]) expect(error(bytes)).not.toMatch(/\d{16,}000\b/);
  });

  it('shows escape sequences in tensor names instead of sending them to the terminal', () => {
    const name = 'evil\u001b]0;pwned\u0007\u009b31m\u202ename';
    const message = error(file(`{${f32(name, 0)},${f32(name, 8)}}`, 16));
    expect(message).toBe('w.st: the header names `evil\\u001b]0;pwned\\u0007\\u009b31m\\u202ename` twice');
    expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(quote('a`b')).toBe('`a\\u0060b`');
    expect(quote('tag\u{e0041}\u2066x')).toBe('`tag\\u{e0041}\\u2066x`');
  });

  it('keeps `__proto__` and `constructor` as plain names, and metadata in a null-prototype object', () => {
    const f = parseSafetensors(file(`{"__metadata__":{"__proto__":"x","format":"pt"},${f32('__proto__', 0)},${f32('constructor', 8)}}`, 16));
    expect([...f.tensors.keys()]).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(f.metadata)).toBeNull();
    expect(f.metadata.__proto__).toBe('x');
    expect(error(file('{"__metadata__":{"n":1}}'))).toBe('w.st: `__metadata__` must map names to strings');
    const written = parseSafetensors(writeSafetensors([{ name: '__proto__', shape: [1], data: new Float32Array([7]) }]));
    expect(written.tensors.get('__proto__')!.data[0]).toBe(7);
    expect(() => writeSafetensors([{ name: 'x', shape: [1], data: new Float32Array(1) }, { name: 'x', shape: [1], data: new Float32Array(1) }])).toThrow('tensor `x` is named twice');
  });

  it('says where the JSON breaks, and refuses nesting no header has (no stack overflow)', () => {
    expect(error(file('{"x":{"dtype":"F32",}}'))).toBe('w.st: the header is not valid JSON: `}` where a name belongs at character 20 (corrupted, or not a safetensors file)');
    expect(error(file(`{"x":${'['.repeat(100_000)}}`))).toMatch(/^w\.st: the header is not valid JSON: nesting deeper than a safetensors header at character 20 /);
  });

  it('still reads the torchvision fixture, in the header\'s order', () => {
    expect(parseSafetensors(fixture).tensors.size).toBe(197);
  });
});

describe('binding refuses values no model can use', () => {
  const withValue = (name: string, index: number, value: number): Uint8Array => {
    const f = parseSafetensors(fixture);
    const tensors = [...f.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, data: Float32Array.from(t.data) }));
    tensors.find((t) => t.name === name)!.data[index] = value;
    return writeSafetensors(tensors);
  };
  const bindError = (bytes: Uint8Array, allowNonfinite = false): string | undefined => {
    try {
      bindWeights(parseSafetensors(bytes), narrow, 'torchvision', { allowNonfinite });
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(NonfiniteWeightsError);
      return (e as Error).message;
    }
  };

  it('NaN and ±Infinity name the tensor and the first index', () => {
    expect(bindError(withValue('features.0.0.weight', 5, NaN))).toBe('tensor `features.0.0.weight` holds NaN at index 5');
    expect(bindError(withValue('features.1.0.block.0.1.bias', 3, -Infinity))).toBe('tensor `features.1.0.block.0.1.bias` holds -Infinity at index 3');
    expect(bindError(withValue('classifier.1.weight', 0, Infinity))).toBe('tensor `classifier.1.weight` holds Infinity at index 0');
  });

  it('a negative BatchNorm running variance is refused; elsewhere a negative value is fine', () => {
    expect(bindError(withValue('features.0.1.running_var', 2, -0.5))).toBe('tensor `features.0.1.running_var` holds a negative running variance (-0.5) at index 2');
    expect(bindError(withValue('features.0.1.running_mean', 2, -0.5))).toBeUndefined();
  });

  it('allowNonfinite (--allow-nonfinite) loads them', () => {
    expect(bindError(withValue('features.0.0.weight', 5, NaN), true)).toBeUndefined();
    expect(bindError(withValue('features.0.1.running_var', 2, -0.5), true)).toBeUndefined();
  });
});

describe('reading a weights file: bounded before reading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'effnet-hostile-weights-'));
  const read = (path: string, maxBytes = DEFAULT_MAX_WEIGHTS_MIB * 2 ** 20) => readSafetensorsFile(path, `weights ${path}`, { maxBytes, flag: '--max-weights-mib', source: path });
  const readError = (path: string, maxBytes?: number): ReadError => {
    try {
      read(path, maxBytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ReadError);
      return e as ReadError;
    }
    throw new Error('read without an error');
  };
  /** A sparse file: `size` bytes on paper, `head` at its start, no disk or memory used. */
  const sparse = (name: string, head: Uint8Array, size: number): string => {
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    writeSync(fd, head);
    ftruncateSync(fd, size);
    closeSync(fd);
    return path;
  };

  it('refuses /dev/zero and a directory at once, naming them', () => {
    expect(readError('/dev/zero').message).toBe('weights /dev/zero is not a regular file (a device, FIFO or socket); effnet reads only regular files');
    expect(readError(dir).reason).toBe('not-regular');
    expect(readError(join(dir, 'nope')).message).toBe(`weights ${join(dir, 'nope')}: no such file`);
  });

  it('refuses a file over the cap by its size, before reading it', () => {
    const path = sparse('big.st', file(`{${f32('x', 0)}}`, 8), 5 * 2 ** 30);
    const e = readError(path);
    expect(e.reason).toBe('too-large');
    expect(e.message).toBe(`weights ${path} is 5120 MiB, over the 4096 MiB limit; --max-weights-mib raises the limit`);
    // Node.js 20 holds at most 4 GiB in one array: a raised cap stops there, with a line, not a RangeError.
    if (buffer.MAX_LENGTH < 5 * 2 ** 30)
      expect(readError(path, 8 * 2 ** 30).message).toBe(`weights ${path} is 5120 MiB, more than the ${buffer.MAX_LENGTH / 2 ** 20} MiB one array can hold in this Node.js`);
    expect(readError(join(narrowDir, 'weights.safetensors'), 2 ** 20).message).toMatch(/is 2 MiB, over the 1 MiB limit; --max-weights-mib raises the limit$/);
  });

  it('refuses a file longer or shorter than its header says without reading the data', () => {
    const longer = sparse('longer.st', file(`{${f32('x', 0)}}`, 8), 1024 * 2 ** 20);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => read(longer)).toThrow(/longer\.st: \d+ bytes follow the last tensor/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    const shorter = join(dir, 'shorter.st');
    writeFileSync(shorter, fixture.subarray(0, fixture.length - 1));
    expect(() => read(shorter)).toThrow(WeightsError);
  });

  it('refuses a header over 100 MiB by its length alone', () => {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setBigUint64(0, 200n * 2n ** 20n, true);
    const path = sparse('head.st', head, 300 * 2 ** 20);
    expect(() => read(path)).toThrow(/head\.st: the header claims 209715200 bytes, over the 100 MiB a safetensors header may have$/);
  });

  it('reads a well-formed file whole', () => {
    expect(Buffer.from(read(join(narrowDir, 'weights.safetensors'))).equals(fixture)).toBe(true);
  });
});
