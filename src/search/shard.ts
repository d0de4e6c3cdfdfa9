// `--shard I/N`: the candidates a job of a matrix of N evaluates. Network k (the grid's distinct
// networks in its deterministic order) belongs to shard k mod N: shards are disjoint, cover the grid, and stay
// even when the grid is sorted by distance to the target.

export interface Shard {
  index: number;
  count: number;
}

/** Why a shard text is wrong, or the shard. */
export function parseShard(text: string): Shard | string {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && count <= 10_000 && index >= 0 && index < count)) return `--shard takes I/N with 0 ≤ I < N ≤ 10000 (a job's index and the job count), such as 0/3, not ${JSON.stringify(text)}`;
  return { index, count };
}

/** The items of shard `s`: every `count`-th, from `index`. */
export const shardSlice = <T>(items: readonly T[], s: Shard): T[] => items.filter((_, k) => k % s.count === s.index);
