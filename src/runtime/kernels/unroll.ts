// Text helpers for kernels that write their register tiles out as plain variables.

/** 0, 1, …, n − 1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** One line of WGSL per index, joined. */
export const lines = (n: number, line: (i: number) => string): string => range(n).map(line).join('\n');

/** One line of WGSL per pair (i, j), i < a and j < b, i the outer index, joined. */
export const pairs = (a: number, b: number, line: (i: number, j: number) => string): string => range(a).flatMap((i) => range(b).map((j) => line(i, j))).join('\n');
