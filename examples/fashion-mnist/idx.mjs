// Fashion-MNIST as Debian's `dataset-fashion-mnist` ships it: the original gzipped IDX files
// (big-endian header: magic 0x0000 08 NDIM, then NDIM uint32 sizes, then uint8 data).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

const FILES = {
  train: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
  test: ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
};

export class DatasetError extends Error {}

/** One IDX file: its sizes and its bytes. */
export function readIdx(path) {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0 || bytes[2] !== 0x08) throw new DatasetError(`${path} is not an unsigned-byte IDX file`);
  const rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const data = bytes.subarray(4 + 4 * rank);
  if (data.length !== dims.reduce((a, d) => a * d, 1)) throw new DatasetError(`${path}: ${data.length} bytes do not fill [${dims.join(', ')}]`);
  return { dims, data };
}

/** The first `count` images (uint8, [count, 28, 28]) and labels of a split. */
export function loadSplit(dir, split, count) {
  const [imagesFile, labelsFile] = FILES[split].map((f) => join(dir, f));
  for (const f of [imagesFile, labelsFile])
    if (!existsSync(f)) throw new DatasetError(`Fashion-MNIST is not at ${dir} (no ${f}): apt-get install dataset-fashion-mnist, or set EFFNET_FMNIST_DIR`);
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  const [n, h, w] = images.dims;
  if (images.dims.length !== 3 || labels.dims[0] !== n) throw new DatasetError(`${dir}: ${split} images [${images.dims}] and labels [${labels.dims}] do not match`);
  const take = Math.min(count, n);
  return { images: images.data.subarray(0, take * h * w), labels: labels.data.subarray(0, take), count: take, height: h, width: w };
}
