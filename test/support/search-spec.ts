// The spec and grid `effnet search --eval` tests share: a narrow family whose grid at
// `--max 1.5 --step 0.1` accepts 8 coefficient triples, 4 distinct networks (rounding makes
// α 1.1 … 1.5 at β 1.1 one network), so a whole search takes seconds.

export const SPEC = `// A narrow family for search tests.
family tiny {
  input channels 1
  classes 10
  activation silu
  norm batch eps 1e-3 momentum 0.01
  round channels divisor 8 min 8 limit 0.9
  round repeats ceil
  round resolution divisor 4
  se squeeze from input gate sigmoid

  stem  conv k3 s1 c16
  stage mbconv e1 k3 s1 c16 n1 se 0.25
  stage mbconv e4 k3 s2 c24 n1 se 0.25
  stage mbconv e4 k5 s2 c40 n2 se 0.25
  stage mbconv e4 k3 s2 c64 n1 se 0.25
  head  conv k1 c128
  classifier dropout 0.1

  compound alpha 1.2 beta 1.1 gamma 1.15
  resolution 28

  variant base { width 1.0 depth 1.0 resolution 28 }
}
`;
export const GRID = ['--base', 'base', '--max', '1.5', '--step', '0.1'];
