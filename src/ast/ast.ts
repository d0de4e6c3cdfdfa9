import type { Range } from '../diagnostics/diagnostic.js';

/** A number as written: its value and its text (for messages and exact echoes). */
export interface Num {
  kind: 'number';
  value: number;
  text: string;
  range: Range;
}

/** A bare word: a name, a block type, an activation, an option value. */
export interface Word {
  kind: 'word';
  text: string;
  range: Range;
}

export type Value = Num | Word;

/** `key value` inside a statement (`eps 1e-3`, `k3`, `se 0.25`, `fixed_width`). */
export interface Option {
  key: string;
  keyRange: Range;
  value?: Value;
  /** Options that take several numbers (`mean 0.485 0.456 0.406`): all of them; `value` is the last. */
  values?: Num[];
  range: Range;
}

interface Base {
  range: Range;
  /** The statement's leading keyword. */
  keywordRange: Range;
}

export type ScalarKey = 'drop_path' | 'width' | 'depth' | 'resolution' | 'phi' | 'dropout' | 'output_stride';

export type Statement =
  | (Base & { kind: 'input'; channels?: Num })
  | (Base & { kind: 'classes'; value?: Num })
  | (Base & { kind: 'activation'; name?: Word })
  | (Base & { kind: 'norm'; options: Option[] })
  | (Base & { kind: 'padding'; mode?: Word })
  | (Base & { kind: 'naming'; scheme?: Word })
  | (Base & { kind: 'round'; target?: 'channels' | 'repeats' | 'resolution'; mode?: Word; options: Option[] })
  | (Base & { kind: 'se'; options: Option[] })
  | (Base & { kind: 'stem'; attributes: Option[] })
  | (Base & { kind: 'head'; none: boolean; attributes: Option[] })
  | (Base & { kind: 'stage'; blockType?: Word; attributes: Option[]; /** `then`: more blocks of the stage before. */ continues: boolean })
  | (Base & { kind: 'classifier'; options: Option[] })
  | (Base & { kind: 'scalar'; key: ScalarKey; value?: Num })
  | (Base & { kind: 'compound'; options: Option[] })
  | (Base & { kind: 'features'; stages: Num[] })
  /** Options keyed `resize`, `crop`, `crop_pct`, `mean`, `std`, and `interpolation` for a bare name. */
  | (Base & { kind: 'preprocess'; options: Option[] })
  | (Base & { kind: 'unknown'; words: Value[] });

export interface VariantNode extends Base {
  kind: 'variant';
  name?: Word;
  statements: Statement[];
}

export interface FamilyNode extends Base {
  kind: 'family';
  name?: Word;
  items: (Statement | VariantNode)[];
}

export interface SpecNode {
  file: string;
  family?: FamilyNode;
}
