import { quote } from './safetensors.js';

// A restricted unpickler: it reads the pickle opcodes a torch state_dict is
// written with (protocols 2 to 5) into plain values, and never runs code.
// Python's unpickler imports any global a pickle names and calls it; this one
// looks each global up in the caller's allow-list of pure JavaScript
// functions and refuses every other, and refuses every opcode that builds
// arbitrary objects (INST, OBJ, NEWOBJ, EXT…). No recursion: a hostile pickle
// can only grow the stack by one value per byte it spends.

/** A value of a type the caller defines (a torch storage, a tensor). */
export abstract class PyObject {
  /** Python's name for the type, for messages. */
  abstract readonly typeName: string;
}

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PyList {
  constructor(readonly items: PyValue[]) {}
}

/** Keys Python can hash: the tuple, bytes and object ones by identity. */
export type PyKey = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyObject;

/** A dict or OrderedDict, in insertion order. */
export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
  /** What BUILD set on it (a state_dict's `_metadata`); read by nobody, kept for completeness. */
  readonly attributes = new Map<string, PyValue>();
}

/** A global the caller allows to be called, as a pure function of its arguments. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly call: (args: readonly PyValue[]) => PyValue,
  ) {}
}

/** Python ints are numbers when exact, bigints beyond 2^53; floats are numbers. */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyTuple | PyList | PyDict | PyCallable | PyObject;

export function pyType(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyCallable) return `function ${v.name}`;
  return v.typeName;
}

export interface UnpickleOptions {
  /** The values GLOBAL and STACK_GLOBAL may name, keyed `module.name`; every other is refused. */
  globals: ReadonlyMap<string, PyValue>;
  /** What the allowed globals are, for the refusal: "… is not <allowed>". */
  allowed: string;
  /** BINPERSID: the object a persistent id stands for (torch: a storage). */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Throws the caller's error. */
  fail: (why: string) => never;
}

/** Every pickle opcode by byte, so a refusal names the one it met. */
const NAMES = new Map<number, string>(
  (
    [
      ['I', 'INT'], ['J', 'BININT'], ['K', 'BININT1'], ['M', 'BININT2'], ['L', 'LONG'], [0x8a, 'LONG1'], [0x8b, 'LONG4'], ['S', 'STRING'],
      ['T', 'BINSTRING'], ['U', 'SHORT_BINSTRING'], ['B', 'BINBYTES'], ['C', 'SHORT_BINBYTES'], [0x8e, 'BINBYTES8'], [0x96, 'BYTEARRAY8'],
      [0x97, 'NEXT_BUFFER'], [0x98, 'READONLY_BUFFER'], ['N', 'NONE'], [0x88, 'NEWTRUE'], [0x89, 'NEWFALSE'], ['V', 'UNICODE'],
      [0x8c, 'SHORT_BINUNICODE'], ['X', 'BINUNICODE'], [0x8d, 'BINUNICODE8'], ['F', 'FLOAT'], ['G', 'BINFLOAT'], [']', 'EMPTY_LIST'],
      ['a', 'APPEND'], ['e', 'APPENDS'], ['l', 'LIST'], [')', 'EMPTY_TUPLE'], ['t', 'TUPLE'], [0x85, 'TUPLE1'], [0x86, 'TUPLE2'],
      [0x87, 'TUPLE3'], ['}', 'EMPTY_DICT'], ['d', 'DICT'], ['s', 'SETITEM'], ['u', 'SETITEMS'], [0x8f, 'EMPTY_SET'], [0x90, 'ADDITEMS'],
      [0x91, 'FROZENSET'], ['0', 'POP'], ['2', 'DUP'], ['(', 'MARK'], ['1', 'POP_MARK'], ['g', 'GET'], ['h', 'BINGET'], ['j', 'LONG_BINGET'],
      ['p', 'PUT'], ['q', 'BINPUT'], ['r', 'LONG_BINPUT'], [0x94, 'MEMOIZE'], [0x82, 'EXT1'], [0x83, 'EXT2'], [0x84, 'EXT4'], ['c', 'GLOBAL'],
      [0x93, 'STACK_GLOBAL'], ['R', 'REDUCE'], ['b', 'BUILD'], ['i', 'INST'], ['o', 'OBJ'], [0x81, 'NEWOBJ'], [0x92, 'NEWOBJ_EX'],
      [0x80, 'PROTO'], ['.', 'STOP'], [0x95, 'FRAME'], ['P', 'PERSID'], ['Q', 'BINPERSID'],
    ] as [string | number, string][]
  ).map(([c, n]) => [typeof c === 'string' ? c.charCodeAt(0) : c, n]),
);

/** An integer this long is no tensor's size or offset (and parsing it must stay cheap). */
const MAX_LONG_BYTES = 64;

const utf8 = new TextDecoder();

/** Reads a pickle; the value it builds, or the caller's error naming the byte and opcode refused. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let at = 0;
  let op = 0;
  let opAt = 0;
  const fail = (why: string): never => options.fail(`data.pkl byte ${opAt} (${NAMES.get(op) ?? `0x${op.toString(16)}`}): ${why}`);
  const take = (n: number): Uint8Array => {
    if (n > bytes.length - at) fail(`needs ${n} bytes but ${bytes.length - at} remain (truncated)`);
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const u8 = () => take(1)[0]!;
  const u32 = () => (take(4), view.getUint32(at - 4, true));
  const u64 = () => {
    const v = (take(8), view.getBigUint64(at - 8, true));
    if (v > BigInt(bytes.length - at)) fail(`claims ${v} bytes but ${bytes.length - at} remain (truncated)`);
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) fail('a name without its newline (truncated)');
    return utf8.decode(take(end - at + 1).subarray(0, -1));
  };
  const pop = (): PyValue => {
    if (stack.length === (marks.at(-1) ?? 0)) fail('pops an empty stack (corrupt)');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === (marks.at(-1) ?? 0)) fail('reads an empty stack (corrupt)');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const mark = marks.pop();
    if (mark === undefined) fail('no MARK to pop to (corrupt)');
    return stack.splice(mark!);
  };
  const int = (signed: bigint): number | bigint => (signed >= -BigInt(Number.MAX_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed);
  const long = (n: number): number | bigint => {
    if (n > MAX_LONG_BYTES) fail(`an integer of ${n} bytes`);
    const b = take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return int(v);
  };
  const global = (module: string, name: string): PyValue => {
    const full = `${module}.${name}`;
    const value = options.globals.get(full);
    if (value === undefined) fail(`refuses to run code: global ${quote(full)} is not ${options.allowed}`);
    return value!;
  };
  const key = (k: PyValue): PyKey => {
    if (k instanceof PyList || k instanceof PyDict || k instanceof PyCallable) fail(`a ${pyType(k)} as a dict key (unhashable)`);
    return k as PyKey;
  };
  const setItems = (dict: PyValue, items: PyValue[]) => {
    if (!(dict instanceof PyDict)) fail(`sets items on a ${pyType(dict)}, not a dict`);
    if (items.length % 2) fail('an odd number of keys and values');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).entries.set(key(items[i]!), items[i + 1]!);
  };
  const append = (list: PyValue, items: PyValue[]) => {
    if (!(list instanceof PyList)) fail(`appends to a ${pyType(list)}, not a list`);
    (list as PyList).items.push(...items);
  };
  const memoize = (index: number) => memo.set(index, top());

  while (at < bytes.length) {
    opAt = at;
    op = bytes[at++]!;
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('a pickle protocol above 5');
        break;
      case 0x95: // FRAME: a length prefix for buffering, nothing to build
        take(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        stack.push(op === 0x88);
        break;
      case 0x4a: // BININT
        stack.push((take(4), view.getInt32(at - 4, true)));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push((take(2), view.getUint16(at - 2, true)));
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: // LONG4
        stack.push(long(u32()));
        break;
      case 0x47: // BINFLOAT
        stack.push((take(8), view.getFloat64(at - 8, false)));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items: PyValue[] = [];
        for (let n = op - 0x84; n > 0; n--) items.unshift(pop());
        stack.push(new PyTuple(items));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push(new PyList([]));
        break;
      case 0x6c: // LIST
        stack.push(new PyList(popMark()));
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PyDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const k = pop();
        setItems(top(), [k, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('a global named by something other than two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PyCallable)) fail(`calls a ${pyType(callable)}, which is not a function`);
        if (!(args instanceof PyTuple)) fail(`calls ${pyType(callable)} with a ${pyType(args)}, not an argument tuple`);
        stack.push((callable as PyCallable).call((args as PyTuple).items));
        break;
      }
      case 0x62: {
        // BUILD: only a dict's attributes (a state_dict's `_metadata`), set as data
        const state = pop();
        const target = top();
        const attrs = state instanceof PyTuple && state.items.length === 2 ? state.items : [state];
        if (!(target instanceof PyDict) || !attrs.every((a) => a === null || a instanceof PyDict)) fail(`sets the state of a ${pyType(target)} from a ${pyType(state)}; only a dict's attributes may be set`);
        for (const a of attrs as (PyDict | null)[]) for (const [k, v] of a?.entries ?? []) if (typeof k === 'string') (target as PyDict).attributes.set(k, v);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (options.persistentLoad === undefined) fail('a persistent id, which this pickle may not hold');
        stack.push(options.persistentLoad!(pid));
        break;
      }
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`memo entry ${index} was never stored (corrupt)`);
        stack.push(memo.get(index)!);
        break;
      }
      case 0x71: // BINPUT
        memoize(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoize(u32());
        break;
      case 0x94: // MEMOIZE
        memoize(memo.size);
        break;
      default: {
        const name = NAMES.get(op);
        fail(name === undefined ? 'not a pickle opcode (corrupt, or not a pickle)' : 'an opcode a state_dict pickle does not use; refused');
      }
    }
  }
  return fail('the pickle ends without STOP (truncated)');
}
