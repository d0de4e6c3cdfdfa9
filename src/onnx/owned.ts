import { closeSync, openSync, readSync } from 'node:fs';
import { PRODUCER } from './export.js';

// `export` replaces an existing file only when effnet wrote it: an ONNX model
// whose producer_name is effnet's. Only the file's head is read: the producer
// name is a top-level field that writers put before the graph.

const HEAD_BYTES = 4096;

function varint(b: Uint8Array, at: number): [value: number, next: number] | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < b.length && shift < 63; shift += 7, i++) {
    value += (b[i]! & 0x7f) * 2 ** shift;
    if ((b[i]! & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

/** ModelProto.producer_name (field 2) when it lies in these first bytes of a protobuf message, else undefined. */
export function producerName(head: Uint8Array): string | undefined {
  let at = 0;
  while (at < head.length) {
    const tag = varint(head, at);
    if (!tag) return undefined;
    const [key, next] = tag;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const v = varint(head, next);
      if (!v) return undefined;
      at = v[1];
    } else if (wire === 2) {
      const len = varint(head, next);
      if (!len) return undefined;
      const [n, start] = len;
      if (field === 2) return start + n <= head.length ? new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(start, start + n)) : undefined;
      at = start + n;
    } else if (wire === 1) at = next + 8;
    else if (wire === 5) at = next + 4;
    else return undefined;
  }
  return undefined;
}

/** Whether the regular file at `path` is an ONNX model effnet wrote. */
export function madeByEffnet(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(HEAD_BYTES);
    const n = readSync(fd, head, 0, HEAD_BYTES, 0);
    return producerName(head.subarray(0, n)) === PRODUCER;
  } finally {
    closeSync(fd);
  }
}
