// Types of idx.mjs, for the tests (TypeScript checks test/ against them).
export declare const DEBIAN_DIR: string;
export declare class DatasetError extends Error {}
export declare function readIdx(path: string): { dims: number[]; data: Uint8Array };
export declare function loadSplit(
  dir: string,
  split: 'train' | 'test',
  count: number,
): { images: Uint8Array; labels: Uint8Array; count: number; height: number; width: number };
