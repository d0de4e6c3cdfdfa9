import { PyCallable, PyDict, PyObject, PyTuple, pyType, unpickle, type PyValue } from './pickle.js';
import { parseSafetensors, quote, WeightsError, type SafetensorsFile, type Tensor } from './safetensors.js';
import { isZip, readZip, type ZipArchive } from './zip.js';

// PyTorch checkpoints as torch.save writes them since 1.6: a zip archive of
// `<name>/data.pkl` (the pickled object, tensors as persistent ids naming
// storages) and `<name>/data/<key>` (each storage's raw bytes). The pickle is
// read by the restricted unpickler, which allows only the globals a
// state_dict needs and never runs code; every tensor is checked against its
// storage and its storage against the archive, then widened or narrowed to
// float32 as parseSafetensors does.

/** What a pickle may name: a state_dict's containers, tensors and storages. */
const ALLOWED = 'a tensor or a state_dict container (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage)';

/** The wrapper keys torch training scripts save a state_dict under, in the order they are tried. */
export const STATE_DICT_KEYS = ['state_dict', 'model', 'model_state_dict'] as const;

/** torch's storage types: the dtype name (as safetensors spells it), bytes per element. */
const STORAGES: ReadonlyMap<string, { dtype: string; bytes: number }> = new Map([
  ['FloatStorage', { dtype: 'F32', bytes: 4 }],
  ['HalfStorage', { dtype: 'F16', bytes: 2 }],
  ['BFloat16Storage', { dtype: 'BF16', bytes: 2 }],
  ['DoubleStorage', { dtype: 'F64', bytes: 8 }],
  ['LongStorage', { dtype: 'I64', bytes: 8 }],
  ['IntStorage', { dtype: 'I32', bytes: 4 }],
  ['ShortStorage', { dtype: 'I16', bytes: 2 }],
  ['CharStorage', { dtype: 'I8', bytes: 1 }],
  ['ByteStorage', { dtype: 'U8', bytes: 1 }],
  ['BoolStorage', { dtype: 'BOOL', bytes: 1 }],
]);

/** A storage class a persistent id names: `torch.FloatStorage` and its kind. */
class StorageType extends PyObject {
  readonly typeName = 'type';
  constructor(
    readonly name: string,
    readonly dtype: string,
    readonly bytes: number,
  ) {
    super();
  }
}

/** One `data/<key>` record, read when a tensor of the chosen state_dict needs it. */
class Storage extends PyObject {
  readonly typeName = 'torch storage';
  constructor(
    readonly key: string,
    readonly type: StorageType,
    readonly numel: number,
  ) {
    super();
  }
}

/** `_rebuild_tensor_v2`'s result: a view of a storage, converted once the state_dict is chosen. */
class TensorView extends PyObject {
  readonly typeName = 'torch.Tensor';
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {
    super();
  }
}

/** Deflated archives may expand to the default weights cap (4096 MiB), no more. */
const MAX_INFLATED_BYTES = 4096 * 2 ** 20;

/** The magic number a pre-1.6 torch.save pickle starts with (after PROTO 2, LONG1 10). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const LEGACY = 'a pre-1.6 torch.save file (not a zip archive); re-save it with torch>=1.6 (torch.save(torch.load(f), f2)) or convert it to safetensors';

/** A pre-1.6 torch.save file: the pickle magic number it starts with. */
export const isLegacyTorch = (bytes: Uint8Array): boolean => LEGACY_MAGIC.every((b, i) => bytes[i] === b);

export interface PthFile extends SafetensorsFile {
  /** The top-level key the state_dict was found under (`model`, `state_dict`…), undefined for a bare one. */
  entry: string | undefined;
  /** Keys of the state_dict whose values are not tensors, left out. */
  skipped: string[];
}

const int = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const ints = (v: PyValue): v is PyTuple => v instanceof PyTuple && v.items.every(int);

/** Reads a torch.save zip archive; `source` (a file name) prefixes error messages when given. */
export function parsePth(bytes: Uint8Array, source?: string): PthFile {
  const fail = (why: string): never => {
    throw new WeightsError(`${source ?? 'not a usable .pth checkpoint'}: ${why}`);
  };
  if (!isZip(bytes)) fail(isLegacyTorch(bytes) ? LEGACY : 'not a zip archive, so not a torch.save checkpoint');
  const zip = readZip(bytes, fail, MAX_INFLATED_BYTES);
  const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    const names = [...zip.entries.keys()];
    if (names.some((n) => /^[^/]+\/(constants\.pkl|code\/)/.test(n))) fail('a TorchScript archive (torch.jit.save); save the model\'s state_dict with torch.save instead');
    fail(pickles.length === 0 ? 'the archive has no <name>/data.pkl, so it is not a torch.save checkpoint' : `the archive has ${pickles.length} data.pkl records (${pickles.map(quote).join(', ')})`);
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const order = zip.entries.get(`${prefix}byteorder`);
  const byteOrder = order === undefined ? 'little' : new TextDecoder().decode(zip.read(order));
  if (byteOrder !== 'little' && byteOrder !== 'big') fail(`its byteorder record says ${quote(byteOrder)}, not little or big`);

  const globals = new Map<string, PyValue>([
    ['collections.OrderedDict', new PyCallable('collections.OrderedDict', (args) => (args.length === 0 ? new PyDict() : fail('collections.OrderedDict is called with arguments; a state_dict pickle calls it with none')))],
    ['torch._utils._rebuild_tensor_v2', new PyCallable('torch._utils._rebuild_tensor_v2', rebuildTensor)],
    // A Parameter pickles as its tensor plus requires_grad and hooks (and, since torch 2, its attributes): the tensor is what counts.
    ['torch._utils._rebuild_parameter', new PyCallable('torch._utils._rebuild_parameter', rebuildParameter)],
    ['torch._utils._rebuild_parameter_with_state', new PyCallable('torch._utils._rebuild_parameter_with_state', rebuildParameter)],
    ...[...STORAGES].map(([name, s]): [string, PyValue] => [`torch.${name}`, new StorageType(name, s.dtype, s.bytes)]),
  ]);
  function rebuildTensor(args: readonly PyValue[]): PyValue {
    const [storage, offset, size, stride] = args;
    if (args.length < 6 || args.length > 7 || !(storage instanceof Storage) || !int(offset) || !ints(size) || !ints(stride) || size.items.length !== stride.items.length)
      return fail(`_rebuild_tensor_v2 is called with (${args.map(pyType).join(', ')}), not (storage, offset, size, stride, requires_grad, hooks)`);
    const shape = size.items as number[];
    const strides = stride.items as number[];
    const numel = shape.reduce((a, d) => a * BigInt(d), 1n);
    // The last element the view reaches must lie in its storage; a view of more elements than the storage has repeats them.
    const last = shape.reduce((a, d, i) => a + BigInt(Math.max(d - 1, 0)) * BigInt(strides[i]!), BigInt(offset));
    const what = `a tensor [${shape.join(', ')}] at offset ${offset} with strides [${strides.join(', ')}]`;
    if (numel > 0n && last >= BigInt(storage.numel)) fail(`${what} reaches element ${last} of storage ${quote(storage.key)}, which holds ${storage.numel} (a storage shorter than the tensor needs)`);
    if (numel > BigInt(storage.numel)) fail(`${what} has ${numel} elements, more than its storage ${quote(storage.key)} holds (${storage.numel})`);
    return new TensorView(storage, offset, shape, strides);
  }
  function rebuildParameter(args: readonly PyValue[]): PyValue {
    if (args.length < 3 || !(args[0] instanceof TensorView)) return fail(`_rebuild_parameter is called with (${args.map(pyType).join(', ')}), not (tensor, requires_grad, hooks)`);
    return args[0];
  }
  const storages = new Map<string, Storage>();
  function persistentLoad(pid: PyValue): PyValue {
    const [kind, type, key, , numel] = pid instanceof PyTuple ? pid.items : [];
    if (!(pid instanceof PyTuple) || pid.items.length !== 5 || kind !== 'storage' || !(type instanceof StorageType) || typeof key !== 'string' || typeof pid.items[3] !== 'string' || !int(numel ?? null))
      return fail(`a persistent id ${pid instanceof PyTuple ? `(${pid.items.map(pyType).join(', ')})` : `of type ${pyType(pid)}`} is not ('storage', storage type, key, location, size)`);
    const known = storages.get(key as string);
    if (known !== undefined) {
      if (known.type !== type || known.numel !== numel) fail(`storage ${quote(key as string)} is named as a ${known.numel}-element ${known.type.name} and as a ${numel}-element ${(type as StorageType).name}`);
      return known;
    }
    const record = zip.entries.get(`${prefix}data/${key}`);
    if (record === undefined) fail(`storage ${quote(key as string)} has no record ${quote(`${prefix}data/${key}`)} in the archive`);
    const needed = (numel as number) * (type as StorageType).bytes;
    if (record!.size < needed) fail(`storage ${quote(key as string)} holds ${record!.size} bytes, but ${numel} ${(type as StorageType).dtype} elements need ${needed} (a storage shorter than the tensor needs)`);
    const storage = new Storage(key as string, type as StorageType, numel as number);
    storages.set(key as string, storage);
    return storage;
  }

  const top = unpickle(zip.read(zip.entries.get(pickles[0]!)!), { globals, allowed: ALLOWED, persistentLoad, fail });
  const { dict, entry } = stateDict(top, fail);
  const tensors = new Map<string, Tensor>();
  const skipped: string[] = [];
  const cache = new Map<Storage, Uint8Array>();
  const bytesOf = (s: Storage) => {
    let b = cache.get(s);
    if (b === undefined) cache.set(s, (b = aligned(zip.read(zip.entries.get(`${prefix}data/${s.key}`)!).subarray(0, s.numel * s.type.bytes), s.type.bytes, byteOrder === 'big')));
    return b;
  };
  let elements = 0;
  let storageElements = 0;
  for (const [name, value] of dict.entries) {
    if (typeof name !== 'string') fail(`the state_dict${entry === undefined ? '' : ` under ${quote(entry)}`} has a key of type ${pyType(name)}; a state_dict's keys are names`);
    if (!(value instanceof TensorView)) {
      skipped.push(name as string);
      continue;
    }
    if (!cache.has(value.storage)) storageElements += value.storage.numel;
    const data = toFloat32(value, bytesOf(value.storage));
    // Tied weights view one storage from several names; thousands of views of one storage would multiply memory.
    elements += data.length;
    if (elements > 4 * storageElements + 2 ** 20) fail(`its tensors view their storages over four times over (${elements} elements from ${storageElements})`);
    tensors.set(name as string, { name: name as string, dtype: value.storage.type.dtype, shape: value.shape, data });
  }
  const metadata = Object.create(null) as Record<string, string>;
  metadata.format = 'pt';
  return { tensors, metadata, entry, skipped };
}

const hasTensor = (v: PyValue | undefined): boolean => v instanceof PyDict && [...v.entries.values()].some((x) => x instanceof TensorView);

/** The state_dict: the top-level dict when it holds tensors, else the first of STATE_DICT_KEYS that does. */
function stateDict(top: PyValue, fail: (why: string) => never): { dict: PyDict; entry: string | undefined } {
  if (!(top instanceof PyDict)) return fail(`it holds a ${pyType(top)}, not a state_dict (save model.state_dict(), not the model)`);
  if (hasTensor(top)) return { dict: top, entry: undefined };
  for (const k of STATE_DICT_KEYS) {
    const v = top.entries.get(k);
    if (hasTensor(v)) return { dict: v as PyDict, entry: k };
  }
  const keys = [...top.entries.keys()].map((k) => (typeof k === 'string' ? quote(k) : pyType(k)));
  return fail(
    `it holds no state_dict: no tensors at the top level${keys.length > 0 ? ` (its keys: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ` and ${keys.length - 8} more` : ''})` : ''}, and none under ${STATE_DICT_KEYS.map(quote).join(', ')}`,
  );
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The storage's bytes at an offset its element type can view, in this host's byte order. */
function aligned(bytes: Uint8Array, size: number, big: boolean): Uint8Array {
  const swap = size > 1 && big === LITTLE_ENDIAN;
  if (bytes.byteOffset % size === 0 && !swap) return bytes;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (swap) for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  return copy;
}

let halfTable: Float32Array | undefined;

/** Every float16 bit pattern's float32 value: a lookup per element beats decoding each. */
function halves(): Float32Array {
  if (halfTable !== undefined) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    halfTable[h] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return halfTable;
}

/** The view's elements in row-major order, as float32 (strided views are gathered). */
function toFloat32(t: TensorView, bytes: Uint8Array): Float32Array {
  const n = t.shape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const { buffer, byteOffset, byteLength } = bytes;
  const size = t.storage.type.bytes;
  const count = byteLength / size;
  let at: (i: number) => number;
  switch (t.storage.type.dtype) {
    case 'F32': {
      const src = new Float32Array(buffer, byteOffset, count);
      at = (i) => src[i]!;
      break;
    }
    case 'F16': {
      const src = new Uint16Array(buffer, byteOffset, count);
      const table = halves();
      at = (i) => table[src[i]!]!;
      break;
    }
    case 'BF16': {
      // bfloat16 is the high half of a float32.
      const src = new Uint16Array(buffer, byteOffset, count);
      const bits = new Uint32Array(1);
      const value = new Float32Array(bits.buffer);
      at = (i) => ((bits[0] = src[i]! << 16), value[0]!);
      break;
    }
    case 'F64': {
      const src = new Float64Array(buffer, byteOffset, count);
      at = (i) => src[i]!;
      break;
    }
    case 'I64': {
      const src = new BigInt64Array(buffer, byteOffset, count);
      at = (i) => Number(src[i]!);
      break;
    }
    case 'I32': {
      const src = new Int32Array(buffer, byteOffset, count);
      at = (i) => src[i]!;
      break;
    }
    case 'I16': {
      const src = new Int16Array(buffer, byteOffset, count);
      at = (i) => src[i]!;
      break;
    }
    case 'I8': {
      const src = new Int8Array(buffer, byteOffset, count);
      at = (i) => src[i]!;
      break;
    }
    default: {
      // U8 and BOOL (a bool is stored as one byte, 0 or 1).
      const src = new Uint8Array(buffer, byteOffset, count);
      at = (i) => src[i]!;
    }
  }
  // Row-major order: an odometer over the shape, the storage index moving by each dimension's stride.
  const { shape, stride } = t;
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = t.offset;
  const contiguous = shape.every((d, i) => d === 1 || stride[i] === shape.slice(i + 1).reduce((a, x) => a * x, 1));
  if (contiguous) {
    if (t.storage.type.dtype === 'F32') out.set(new Float32Array(buffer, byteOffset + src * 4, n));
    else for (let i = 0; i < n; i++) out[i] = at(src + i);
    return out;
  }
  for (let i = 0; i < n; i++) {
    out[i] = at(src);
    for (let d = rank - 1; d >= 0; d--) {
      src += stride[d]!;
      if (++index[d]! < shape[d]!) break;
      src -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * A checkpoint in either format: a torch.save zip archive (`.pth`, `.pt`, `.bin`) or a safetensors
 * file, told apart by their first bytes. A file that is neither but looks like an older torch.save
 * (a bare pickle, or a tar archive of torch < 0.4) is refused with what to do.
 */
export function parseCheckpoint(bytes: Uint8Array, source?: string): SafetensorsFile {
  if (isZip(bytes) || isLegacyTorch(bytes)) return parsePth(bytes, source);
  try {
    return parseSafetensors(bytes, source);
  } catch (e) {
    const pickle = bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5;
    const tar = bytes.byteLength >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar';
    if (e instanceof WeightsError && (pickle || tar)) throw new WeightsError(`${source ?? 'not a usable checkpoint'}: ${LEGACY}`);
    throw e;
  }
}
