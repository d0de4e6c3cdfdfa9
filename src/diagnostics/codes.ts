// Every diagnostic code in one table: the single place to look one up.
export const CODES = {
  // syntax
  E001: 'unexpected character',
  E002: 'unexpected token',
  E003: 'unknown statement or attribute',
  E004: 'unexpected end of input',
  E005: 'text after the family block',
  E006: 'file cannot be read',
  // language
  E010: 'unknown block type',
  E011: 'unknown activation',
  E012: 'unknown option value',
  E013: 'duplicate attribute or setting',
  E014: 'missing required attribute or setting',
  E015: 'attribute does not apply to this block type',
  E016: 'setting not allowed here',
  E017: 'integer expected',
  E018: 'invalid name',
  E020: 'kernel size must be an odd integer ≥ 1',
  E021: 'stride must be 1 or 2',
  E022: 'expand ratio must be ≥ 1',
  E023: 'squeeze-excitation ratio must be in (0, 1]',
  E024: 'channels must be > 0',
  E025: 'repeats must be > 0',
  E026: 'value out of range',
  E027: 'conflicting attributes',
  // variants and scaling
  E030: 'duplicate variant',
  E031: 'no variants',
  E032: 'variant sets both phi and explicit coefficients',
  E033: 'phi needs compound coefficients',
  W034: 'compound coefficients far from alpha·beta²·gamma² = 2',
  E035: 'no resolution',
  E036: 'no stages',
  E037: 'unknown variant',
  // concrete graph
  E040: 'resolution smaller than the network total stride',
  E041: 'model too large: parameters',
  E042: 'model too large: activation memory',
  E043: 'model too large: layer count',
  E044: 'residual connection impossible',
} as const;

export type Code = keyof typeof CODES;
