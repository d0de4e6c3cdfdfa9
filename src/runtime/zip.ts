import { inflateSync } from 'fflate';
import { quote } from './safetensors.js';

// A bounded zip reader for torch.save archives: the central directory
// (zip64 too: torch writes its end records for every file), each entry's
// span checked against the archive before it is touched, stored entries
// handed out as views, deflated ones expanded (fflate) only to their
// declared size, and every entry's CRC-32 checked on read. Names live in a
// Map; a name given twice is refused.

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Where the entry's (compressed) bytes start in the archive. */
  dataOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /** The entry's bytes, checked against its CRC-32 (a view of the archive when stored). */
  read(entry: ZipEntry): Uint8Array;
}

/** Deflate expands at most 1032:1; a declared size beyond that is a lie. */
const MAX_DEFLATE_RATIO = 1032;

/** An archive's first bytes: a local file header, or the end record of an empty archive. */
export const isZip = (bytes: Uint8Array): boolean =>
  bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));

let crcTable: Uint32Array | undefined;

export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Reads the central directory of the zip archive `bytes`. `fail` throws the caller's error with
 * the reason; `maxInflated` caps the total size deflated entries may expand to.
 */
export function readZip(bytes: Uint8Array, fail: (why: string) => never, maxInflated: number): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  /** A 64-bit size or offset, as a number only when it can be an offset into this archive. */
  const u64 = (at: number, what: string) => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(length)) fail(`its ${what} (${v}) lies past the end of the ${length}-byte file (truncated or corrupt)`);
    return Number(v);
  };

  // The end of central directory record: the last signature with room for its comment.
  let eocd = -1;
  for (let at = length - 22; at >= 0 && at >= length - 22 - 0xffff; at--) {
    if (u32(at) === 0x06054b50 && at + 22 + u16(at + 20) === length) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) fail('its zip directory is missing (a truncated file, or not a zip archive)');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  // The zip64 locator sits just before the end record; its values replace those above.
  if (eocd >= 20 && u32(eocd - 20) === 0x07064b50) {
    const record = u64(eocd - 12, 'zip64 end record offset');
    if (record + 56 > eocd - 20 || u32(record) !== 0x06064b50) fail('its zip64 end record is missing or misplaced (truncated or corrupt)');
    const n = view.getBigUint64(record + 32, true);
    if (n > BigInt(Math.floor(length / 46))) fail(`its zip directory claims ${n} entries, more than the file has room for`);
    count = Number(n);
    cdSize = u64(record + 40, 'zip directory size');
    cdOffset = u64(record + 48, 'zip directory offset');
  }
  if (cdOffset + cdSize > eocd) fail(`its zip directory (bytes ${cdOffset} to ${cdOffset + cdSize}) overruns the end record at byte ${eocd} (truncated or corrupt)`);

  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || u32(at) !== 0x02014b50) fail(`its zip directory entry ${i + 1} of ${count} is missing or corrupt`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let local = u32(at + 42);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > cdOffset + cdSize) fail(`its zip directory entry ${i + 1} of ${count} overruns the directory`);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // Zip64: the sizes and offset that do not fit in 32 bits follow in extra field 1, in this order.
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(x);
      const n = u16(x + 2);
      if (x + 4 + n > at + 46 + nameLength + extraLength) fail(`entry ${quote(name)} has a malformed extra field`);
      if (id === 1) {
        let y = x + 4;
        const next = (what: string) => {
          if (y + 8 > x + 4 + n) fail(`entry ${quote(name)} has a short zip64 field`);
          const v = u64(y, `entry ${quote(name)}'s ${what}`);
          y += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (local === 0xffffffff) local = next('offset');
      }
      x += 4 + n;
    }
    at = end;
    if (flags & 1) fail(`entry ${quote(name)} is encrypted`);
    if (method !== 0 && method !== 8) fail(`entry ${quote(name)} is compressed with method ${method}; only stored and deflated entries are read`);
    if (method === 0 && compressedSize !== size) fail(`entry ${quote(name)} is stored but its sizes differ (${compressedSize} and ${size})`);
    if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 1024) fail(`entry ${quote(name)} claims to expand ${compressedSize} bytes to ${size}, more than deflate can`);
    if (local + 30 > length || u32(local) !== 0x04034b50) fail(`entry ${quote(name)} has no local header at byte ${local} (truncated or corrupt)`);
    const dataOffset = local + 30 + u16(local + 26) + u16(local + 28);
    if (dataOffset + compressedSize > length) fail(`entry ${quote(name)} (bytes ${dataOffset} to ${dataOffset + compressedSize}) runs past the end of the ${length}-byte file (truncated)`);
    if (entries.has(name)) fail(`the archive holds ${quote(name)} twice`);
    entries.set(name, { name, method, crc, compressedSize, size, dataOffset });
  }

  let inflated = 0;
  return {
    entries,
    read(entry) {
      const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
      let data = raw;
      if (entry.method === 8) {
        inflated += entry.size;
        if (inflated > maxInflated) fail(`its deflated entries expand to more than ${maxInflated} bytes`);
        try {
          data = inflateSync(raw, { out: new Uint8Array(entry.size) });
        } catch (e) {
          fail(`entry ${quote(entry.name)} does not inflate: ${(e as Error).message}`);
        }
        if (data.byteLength !== entry.size) fail(`entry ${quote(entry.name)} inflates to ${data.byteLength} bytes, not the ${entry.size} it declares`);
      }
      if (crc32(data) !== entry.crc) fail(`entry ${quote(entry.name)} fails its CRC-32 check (corrupt)`);
      return data;
    },
  };
}
