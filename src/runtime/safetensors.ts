// A safetensors reader (the format Hugging Face hosts and torch/timm save):
// 8-byte little-endian header length, a JSON header of
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? },
// then the raw little-endian tensor bytes, every byte owned by exactly one
// tensor. Every malformed file is a WeightsError that says what is wrong,
// never garbage. The header has a strict parser of its own: JSON.parse would
// keep the last of two same-named tensors silently and round big offsets.

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
  /** `__metadata__`, as a null-prototype object. */
  metadata: Record<string, string>;
}

/** Bytes per element, in a Map: a dtype such as `constructor` is simply unknown. */
const BYTES: ReadonlyMap<string, number> = new Map([
  ['F32', 4],
  ['F16', 2],
  ['BF16', 2],
  ['F64', 8],
  ['I64', 8],
]);

/** The largest header read, as in the reference implementation (a tensor takes ~100 bytes of header). */
export const MAX_HEADER_BYTES = 100 * 2 ** 20;

/** What JSON.stringify leaves as it is but a terminal acts on or hides: DEL, C1 controls, bidi and other format characters, separators; and the quote. */
const UNSAFE = /[`\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * A name from a file or a spec, quoted for a one-line message: JSON's string escapes, and UNSAFE
 * escaped as diagnostics escape it, so a terminal shows such characters and never obeys them.
 */
export function quote(name: string): string {
  const escaped = JSON.stringify(name)
    .slice(1, -1)
    .replace(UNSAFE, (c) => {
      const cp = c.codePointAt(0)!;
      return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    });
  return `\`${escaped}\``;
}

// --- the header's JSON ---------------------------------------------------------

/** A JSON number as written: offsets and dimensions are checked exactly, never through a double. */
class JsonNumber {
  constructor(readonly text: string) {}
}
type Json = null | boolean | string | JsonNumber | Json[] | Map<string, Json>;

/** Deeper than a safetensors header ever is (3), shallow enough that recursion is safe. */
const MAX_DEPTH = 16;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Strict JSON (RFC 8259) with objects as Maps; a name given twice in one object is an error. */
function parseJson(text: string, fail: (why: string) => never): Json {
  let at = 0;
  const bad = (what: string): never => fail(`the header is not valid JSON: ${what} at character ${at} (corrupted, or not a safetensors file)`);
  const space = () => {
    for (let c = text.charCodeAt(at); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++at));
  };
  const string = (): string => {
    const start = at++;
    for (let c = text.charCodeAt(at); c !== 0x22; c = text.charCodeAt(at)) {
      if (at >= text.length) bad('an unterminated string');
      if (c < 0x20) bad('a control character in a string');
      at += c === 0x5c ? 2 : 1;
    }
    at++;
    try {
      return JSON.parse(text.slice(start, at)) as string;
    } catch {
      at = start;
      return bad('a malformed escape in a string');
    }
  };
  const expect = (c: string, what: string) => {
    space();
    if (text[at] !== c) bad(at >= text.length ? `the end where ${what} belongs` : `${quote(text[at]!)} where ${what} belongs`);
    at++;
  };
  const value = (path: readonly string[]): Json => {
    space();
    const c = text[at];
    if (c === '{' || c === '[') {
      if (path.length >= MAX_DEPTH) bad('nesting deeper than a safetensors header');
      at++;
      space();
      const close = c === '{' ? '}' : ']';
      const object = new Map<string, Json>();
      const array: Json[] = [];
      if (text[at] === close) {
        at++;
        return c === '{' ? object : array;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[at] !== '"') expect('"', 'a name');
          const key = string();
          if (object.has(key)) fail(path.length === 0 ? `the header names ${quote(key)} twice` : `the header's entry ${path.map(quote).join(' → ')} names ${quote(key)} twice`);
          expect(':', '`:`');
          object.set(key, value([...path, key]));
        } else {
          array.push(value([...path, `[${array.length}]`]));
        }
        space();
        if (text[at] === close) {
          at++;
          return c === '{' ? object : array;
        }
        expect(',', `\`,\` or \`${close}\``);
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(text);
    if (m !== null) {
      at += m[0].length;
      return new JsonNumber(m[0]);
    }
    return bad(c === undefined ? 'the end where a value belongs' : `unexpected ${quote(c)}`);
  };
  const top = value([]);
  space();
  if (at < text.length) bad('text after the header');
  return top;
}

/** A JSON value as written, for messages. */
const written = (v: Json): string =>
  v instanceof JsonNumber ? v.text : Array.isArray(v) ? `[${v.map(written).join(', ')}]` : v instanceof Map ? '{…}' : JSON.stringify(v);

/** A non-negative integer exactly, or undefined for anything else (-1, 2.5, 1e3, "3"). */
const whole = (v: Json | undefined): bigint | undefined => (v instanceof JsonNumber && /^(?:0|[1-9]\d*)$/.test(v.text) ? BigInt(v.text) : undefined);

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// --- the header --------------------------------------------------------------------

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Bytes of JSON after the 8-byte length. */
  headerBytes: number;
  /** In the header's order. */
  entries: Entry[];
  metadata: Record<string, string>;
}

const failer =
  (source: string | undefined) =>
  (why: string): never => {
    throw new WeightsError(source === undefined ? `not a usable safetensors file: ${why}` : `${source}: ${why}`);
  };

/** The header's length from a file's first 8 bytes, checked against the file's size and MAX_HEADER_BYTES. */
export function safetensorsHeaderLength(first: Uint8Array, fileBytes: number, source?: string): number {
  const fail = failer(source);
  if (fileBytes < 8 || first.byteLength < 8) fail(`${fileBytes} bytes is too short for a safetensors file (truncated?)`);
  const length = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileBytes - 8)) fail(`the header claims ${length} bytes but only ${fileBytes - 8} follow (truncated, or not a safetensors file)`);
  if (length > BigInt(MAX_HEADER_BYTES)) fail(`the header claims ${length} bytes, over the ${MAX_HEADER_BYTES / 2 ** 20} MiB a safetensors header may have`);
  return Number(length);
}

/**
 * Reads and checks the header at the start of `bytes`, which may hold only the first 8 + header
 * bytes of a file of `fileBytes` bytes: every tensor's dtype, shape and span, the spans tiling the
 * data section exactly (no overlap, no gap, no trailing bytes), no name twice.
 */
export function readSafetensorsHeader(bytes: Uint8Array, fileBytes: number, source?: string): SafetensorsHeader {
  const fail = failer(source);
  const headerBytes = safetensorsHeaderLength(bytes, fileBytes, source);
  if (bytes.byteLength < 8 + headerBytes) fail(`the header claims ${headerBytes} bytes but only ${bytes.byteLength - 8} were read`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerBytes));
  } catch {
    return fail('the header is not valid JSON: it is not UTF-8 text (corrupted, or not a safetensors file)');
  }
  const header = parseJson(text, fail);
  if (!(header instanceof Map)) return fail('the header is not a JSON object');
  const dataBytes = BigInt(fileBytes - 8 - headerBytes);
  const entries: Entry[] = [];
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, entry] of header) {
    const t = quote(name);
    if (name === '__metadata__') {
      if (!(entry instanceof Map) || ![...entry.values()].every((v) => typeof v === 'string')) fail('`__metadata__` must map names to strings');
      for (const [k, v] of entry as Map<string, string>) metadata[k] = v;
      continue;
    }
    const dtype = entry instanceof Map ? entry.get('dtype') : undefined;
    const shape = entry instanceof Map ? entry.get('shape') : undefined;
    const offsets = entry instanceof Map ? entry.get('data_offsets') : undefined;
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) return fail(`tensor ${t} has a malformed header entry`);
    const size = BYTES.get(dtype);
    if (size === undefined) return fail(`tensor ${t} has dtype ${quote(dtype)}; supported: ${[...BYTES.keys()].join(', ')}`);
    const dims = shape.map(whole);
    if (!dims.every((d): d is bigint => d !== undefined && d <= SAFE)) return fail(`tensor ${t} has an invalid shape ${written(shape)} (dimensions are whole numbers up to 2^53 − 1)`);
    const [begin, end] = offsets.map(whole);
    if (begin === undefined || end === undefined || end < begin) return fail(`tensor ${t} has invalid data offsets ${written(offsets)}`);
    if (end > dataBytes) fail(`tensor ${t} ends at byte ${end} of a ${dataBytes}-byte data section (truncated file)`);
    const needed = dims.reduce((a, d) => a * d, 1n) * BigInt(size);
    if (end - begin !== needed) fail(`tensor ${t} [${dims.join(', ')}] ${dtype} needs ${needed} bytes but has ${end - begin}`);
    entries.push({ name, dtype, shape: dims.map(Number), begin: Number(begin), end: Number(end) });
  }
  // Every byte of the data section belongs to exactly one tensor, as the reference implementation demands.
  const spans = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let last: Entry | undefined;
  for (const s of spans) {
    if (s.begin < covered) fail(`tensors ${quote(last!.name)} and ${quote(s.name)} overlap`);
    if (s.begin > covered) fail(`bytes ${covered} to ${s.begin} of the data section belong to no tensor`);
    covered = s.end;
    last = s;
  }
  if (BigInt(covered) !== dataBytes) fail(`${dataBytes - BigInt(covered)} bytes follow the last tensor (the data section is ${dataBytes} bytes, its tensors end at ${covered})`);
  return { headerBytes, entries, metadata };
}

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
  const n = bytes.byteLength / BYTES.get(dtype)!;
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
  const { headerBytes, entries, metadata } = readSafetensorsHeader(bytes, bytes.byteLength, source);
  const data = bytes.subarray(8 + headerBytes);
  const tensors = new Map<string, Tensor>();
  for (const { name, dtype, shape, begin, end } of entries) tensors.set(name, { name, dtype, shape, data: toFloat32(dtype, data.subarray(begin, end)) });
  return { tensors, metadata };
}

/** Writes F32 tensors as a safetensors file (the header padded so the data starts 8-byte aligned). */
export function writeSafetensors(tensors: { name: string; shape: number[]; data: Float32Array }[], metadata?: Record<string, string>): Uint8Array {
  let offset = 0;
  // Null-prototype: a tensor named `__proto__` is a key like any other.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata) header.__metadata__ = metadata;
  for (const t of tensors) {
    if (Object.hasOwn(header, t.name)) throw new WeightsError(`tensor ${quote(t.name)} is named twice`);
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
