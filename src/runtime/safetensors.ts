// A safetensors reader (the format Hugging Face hosts and torch/timm save):
// 8-byte little-endian header length, a JSON header of
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? },
// then the raw little-endian tensor bytes. Every malformed file is a
// WeightsError that says what is wrong, never garbage.

export class WeightsError extends Error {}

export interface Tensor {
  name: string;
  dtype: string;
  shape: number[];
  /** float32 values (F16/BF16/F64 are widened or narrowed to float32). */
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function toFloat32(dtype: string, bytes: Uint8Array): Float32Array {
  // safetensors is little-endian: on such hosts F32 data is used as it lies, copied so it is aligned
  // (not with bytes.slice(): on a Node Buffer that is a view of the whole pool).
  if (dtype === 'F32' && LITTLE_ENDIAN) {
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return new Float32Array(copy.buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / BYTES[dtype]!;
  const out = new Float32Array(n);
  const scratch = new DataView(new ArrayBuffer(4)); // BF16 is the high half of a float32
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F32':
        out[i] = view.getFloat32(4 * i, true);
        break;
      case 'F64':
        out[i] = view.getFloat64(8 * i, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(2 * i, true));
        break;
      case 'BF16':
        scratch.setUint32(0, view.getUint16(2 * i, true) << 16, true);
        out[i] = scratch.getFloat32(0, true);
        break;
      case 'I64':
        out[i] = Number(view.getBigInt64(8 * i, true));
        break;
    }
  }
  return out;
}

/** Reads a safetensors file; `source` (a file name) prefixes error messages when given. */
export function parseSafetensors(bytes: Uint8Array, source?: string): SafetensorsFile {
  const fail = (why: string): never => {
    throw new WeightsError(source === undefined ? `not a usable safetensors file: ${why}` : `${source}: ${why}`);
  };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is too short for a safetensors file (truncated?)`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) fail(`the header claims ${headerLength} bytes but only ${bytes.byteLength - 8} follow (truncated, or not a safetensors file)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('the header is not valid JSON (corrupted, or not a safetensors file)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2)
      fail(`tensor \`${name}\` has a malformed header entry`);
    const dtype = e.dtype as string;
    const shape = e.shape as number[];
    const [begin, end] = e.data_offsets as number[];
    if (BYTES[dtype] === undefined) fail(`tensor \`${name}\` has dtype ${dtype}; supported: ${Object.keys(BYTES).join(', ')}`);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor \`${name}\` has an invalid shape [${shape.join(', ')}]`);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin! < 0 || end! < begin!) fail(`tensor \`${name}\` has invalid data offsets`);
    if (end! > data.byteLength) fail(`tensor \`${name}\` ends at byte ${end} of a ${data.byteLength}-byte data section (truncated file)`);
    const expected = shape.reduce((a, d) => a * d, 1) * BYTES[dtype]!;
    if (end! - begin! !== expected) fail(`tensor \`${name}\` [${shape.join(', ')}] ${dtype} needs ${expected} bytes but has ${end! - begin!}`);
    spans.push([begin!, end!, name]);
    tensors.set(name, { name, dtype, shape, data: toFloat32(dtype, data.subarray(begin!, end!)) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) fail(`tensors \`${spans[i - 1]![2]}\` and \`${spans[i]![2]}\` overlap`);
  }
  return { tensors, metadata };
}

/** Writes F32 tensors as a safetensors file (the header padded so the data starts 8-byte aligned). */
export function writeSafetensors(tensors: { name: string; shape: number[]; data: Float32Array }[], metadata?: Record<string, string>): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let at = 8 + head.byteLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
