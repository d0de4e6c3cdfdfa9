// Text helpers for kernels that write their register tiles out as plain variables.

/** 0, 1, …, n − 1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** One line of WGSL per index, joined. */
export const lines = (n: number, line: (i: number) => string): string => range(n).map(line).join('\n');
