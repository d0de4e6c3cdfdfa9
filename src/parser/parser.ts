import type { IParserErrorMessageProvider, IRecognitionException, IToken, TokenType } from 'chevrotain';
import { CstParser } from '../lexer/chevrotain.js';
import * as T from '../lexer/tokens.js';

function expectedList(types: TokenType[]): string {
  const names = [...new Set(types.map(T.describeToken))];
  return names.length <= 1 ? (names[0] ?? 'nothing') : names.slice(0, -1).join(', ') + ' or ' + names.at(-1);
}

/** Messages carry only the expected set; parse.ts words the diagnostic itself. */
const expectedOnly: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => `expected:${expectedList([expected])}`,
  buildNotAllInputParsedMessage: () => 'expected:',
  buildNoViableAltMessage: ({ expectedPathsPerAlt }) =>
    `expected:${expectedList(expectedPathsPerAlt.flat().map((path) => path[0]!).filter(Boolean))}`,
  buildEarlyExitMessage: ({ expectedIterationPaths }) =>
    `expected:${expectedList(expectedIterationPaths.map((path) => path[0]!).filter(Boolean))}`,
};

/**
 * The .effnet grammar. Rule names are the nonterminals of grammar/effnet.ebnf,
 * which is printed from this class, so the two cannot drift.
 *
 * Error productions (`unknownStatement`, `unknownAttribute`) absorb stray words
 * so that one bad word costs one diagnostic, not the rest of the file.
 */
export class EffnetParser extends CstParser {
  /**
   * Stop after this many syntax errors: each one costs an exception and a
   * recovery, and a million of them took minutes. Every loop of the grammar
   * is gated on it, so the parse then runs out to the end without more errors
   * than the few its enclosing rules raise.
   */
  maxErrors = Infinity;
  private saved = 0;
  /** The token of the error that reached the cap. */
  stopToken: IToken | undefined;

  /**
   * `validate` runs Chevrotain's checks of the grammar (ambiguities, left recursion…):
   * they take about 40 % of the parser's construction on every run and can only fail when
   * this file changes, so the shipped parser skips them and a test runs them
   * (test/parser-startup.test.ts).
   */
  constructor({ validate = false }: { validate?: boolean } = {}) {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: expectedOnly, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  /** Syntax errors since the input was set (`errors` copies the list on every read). */
  get errorCount(): number {
    return this.saved;
  }

  /** Whether the error cap stopped the parse. */
  get stopped(): boolean {
    return this.saved >= this.maxErrors;
  }

  override reset(): void {
    super.reset();
    this.saved = 0;
    this.stopToken = undefined;
  }

  // Chevrotain's (undeclared) hook through which every recognition error is recorded: counted here.
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    if (++this.saved === this.maxErrors) this.stopToken = error.token;
    return (CstParser.prototype as unknown as { SAVE_ERROR(e: IRecognitionException): IRecognitionException }).SAVE_ERROR.call(this, error);
  }

  private readonly going = (): boolean => this.saved < this.maxErrors;

  /**
   * Options and attributes continue a statement only on its keyword's line, so
   * a statement keyword that is also an option (`se`, `dropout`) or a misspelt
   * statement on the next line is never taken for an option of this one.
   */
  private onLineOf(keyword: IToken): () => boolean {
    return () => this.saved < this.maxErrors && this.LA(1).startLine === keyword.startLine;
  }

  spec = this.RULE('spec', () => {
    this.SUBRULE(this.family);
  });

  family = this.RULE('family', () => {
    this.CONSUME(T.Family);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY({
      GATE: this.going,
      DEF: () =>
        this.OR([
          { ALT: () => this.SUBRULE(this.setting) },
          { ALT: () => this.SUBRULE(this.compound) },
          { ALT: () => this.SUBRULE(this.variant) },
          { ALT: () => this.SUBRULE(this.unknownStatement) },
        ]),
    });
    this.CONSUME(T.RCurly);
  });

  /** Any word; the lowering checks that it makes a usable file name. */
  name = this.RULE('name', () => {
    this.CONSUME(T.Word);
  });

  variant = this.RULE('variant', () => {
    this.CONSUME(T.Variant);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY({
      GATE: this.going,
      DEF: () =>
        this.OR([
          { ALT: () => this.SUBRULE(this.setting) },
          { ALT: () => this.SUBRULE(this.compound) },
          { ALT: () => this.SUBRULE(this.unknownStatement) },
        ]),
    });
    this.CONSUME(T.RCurly);
  });

  compound = this.RULE('compound', () => {
    const kw = this.CONSUME(T.CompoundKw);
    this.SUBRULE(this.coefficient);
    this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE2(this.coefficient) });
  });

  coefficient = this.RULE('coefficient', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Alpha) },
      { ALT: () => this.CONSUME(T.Beta) },
      { ALT: () => this.CONSUME(T.Gamma) },
    ]);
    this.CONSUME(T.NumberLiteral);
  });

  setting = this.RULE('setting', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.inputStatement) },
      { ALT: () => this.SUBRULE(this.classesStatement) },
      { ALT: () => this.SUBRULE(this.activationStatement) },
      { ALT: () => this.SUBRULE(this.normStatement) },
      { ALT: () => this.SUBRULE(this.paddingStatement) },
      { ALT: () => this.SUBRULE(this.namingStatement) },
      { ALT: () => this.SUBRULE(this.roundStatement) },
      { ALT: () => this.SUBRULE(this.seStatement) },
      { ALT: () => this.SUBRULE(this.stemStatement) },
      { ALT: () => this.SUBRULE(this.stageStatement) },
      { ALT: () => this.SUBRULE(this.headStatement) },
      { ALT: () => this.SUBRULE(this.classifierStatement) },
      { ALT: () => this.SUBRULE(this.scalarStatement) },
      { ALT: () => this.SUBRULE(this.featuresStatement) },
      { ALT: () => this.SUBRULE(this.preprocessStatement) },
    ]);
  });

  inputStatement = this.RULE('inputStatement', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Channels);
    this.CONSUME(T.NumberLiteral);
  });

  classesStatement = this.RULE('classesStatement', () => {
    this.CONSUME(T.Classes);
    this.CONSUME(T.NumberLiteral);
  });

  activationStatement = this.RULE('activationStatement', () => {
    this.CONSUME(T.ActivationKw);
    this.SUBRULE(this.activationName);
  });

  activationName = this.RULE('activationName', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.None) }]);
  });

  normStatement = this.RULE('normStatement', () => {
    const kw = this.CONSUME(T.Norm);
    this.OPTION(() => this.CONSUME(T.Batch));
    this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.normOption) });
  });

  normOption = this.RULE('normOption', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Eps) }, { ALT: () => this.CONSUME(T.Momentum) }]);
    this.CONSUME(T.NumberLiteral);
  });

  paddingStatement = this.RULE('paddingStatement', () => {
    this.CONSUME(T.Padding);
    this.CONSUME(T.Identifier);
  });

  namingStatement = this.RULE('namingStatement', () => {
    this.CONSUME(T.Naming);
    this.CONSUME(T.Identifier);
  });

  roundStatement = this.RULE('roundStatement', () => {
    const kw = this.CONSUME(T.Round);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Channels);
          this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.roundOption) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Repeats);
          this.OR2([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME2(T.Round) }]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Resolution);
          this.MANY2({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE2(this.roundOption) });
        },
      },
    ]);
  });

  roundOption = this.RULE('roundOption', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Divisor) },
      { ALT: () => this.CONSUME(T.Min) },
      { ALT: () => this.CONSUME(T.Limit) },
    ]);
    this.CONSUME(T.NumberLiteral);
  });

  seStatement = this.RULE('seStatement', () => {
    const kw = this.CONSUME(T.Se);
    this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.seOption) });
  });

  seOption = this.RULE('seOption', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Squeeze);
          this.CONSUME(T.From);
          this.OR2([{ ALT: () => this.CONSUME(T.Input) }, { ALT: () => this.CONSUME(T.Identifier) }]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Divisor);
          this.CONSUME(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Act);
          this.SUBRULE(this.activationName);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Gate);
          this.SUBRULE2(this.activationName);
        },
      },
    ]);
  });

  stemStatement = this.RULE('stemStatement', () => {
    const kw = this.CONSUME(T.Stem);
    this.CONSUME(T.Conv);
    this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.attribute) });
  });

  headStatement = this.RULE('headStatement', () => {
    const kw = this.CONSUME(T.Head);
    this.OR([
      { ALT: () => this.CONSUME(T.None) },
      {
        ALT: () => {
          this.CONSUME(T.Conv);
          this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.attribute) });
        },
      },
    ]);
  });

  /** `stage …` starts a stage; `then …` adds blocks of another configuration to it (timm's block lists). */
  stageStatement = this.RULE('stageStatement', () => {
    const kw = this.OR([{ ALT: () => this.CONSUME(T.Stage) }, { ALT: () => this.CONSUME(T.Then) }]);
    this.SUBRULE(this.blockType);
    this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.attribute) });
  });

  blockType = this.RULE('blockType', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Conv) }]);
  });

  /** One block, stem or head attribute: `k3 s2 e6 c24 n2` or a keyword with a value. */
  attribute = this.RULE('attribute', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Compact) },
      {
        ALT: () => {
          this.CONSUME(T.Se);
          this.CONSUME(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Act);
          this.SUBRULE(this.activationName);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Skip);
          this.CONSUME(T.Identifier);
        },
      },
      { ALT: () => this.SUBRULE(this.numberAttribute) },
      { ALT: () => this.CONSUME(T.FixedWidth) },
      { ALT: () => this.CONSUME(T.FixedDepth) },
      { ALT: () => this.CONSUME(T.GrowOnly) },
      { ALT: () => this.CONSUME(T.KeepExpand) },
      { ALT: () => this.SUBRULE(this.unknownAttribute), IGNORE_AMBIGUITIES: true },
    ]);
  });

  /** `mid 96`, `groups 2`, …: a keyword attribute and its number (lexer NUMBER_ATTRIBUTES). */
  numberAttribute = this.RULE('numberAttribute', () => {
    this.OR(T.NUMBER_ATTRIBUTES.map((t) => ({ ALT: () => this.CONSUME(t) })));
    this.CONSUME(T.NumberLiteral);
  });

  unknownAttribute = this.RULE('unknownAttribute', () => {
    this.CONSUME(T.Word);
    this.OPTION(() => this.CONSUME(T.NumberLiteral));
  });

  classifierStatement = this.RULE('classifierStatement', () => {
    const kw = this.CONSUME(T.Classifier);
    this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.classifierOption) });
  });

  classifierOption = this.RULE('classifierOption', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dropout);
          this.CONSUME(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Hidden);
          this.CONSUME2(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Act);
          this.SUBRULE(this.activationName);
        },
      },
      { ALT: () => this.CONSUME(T.FixedWidth) },
    ]);
  });

  /** `features 2 3 5`: the stages whose outputs a feature network hands out. */
  featuresStatement = this.RULE('featuresStatement', () => {
    const kw = this.CONSUME(T.Features);
    this.AT_LEAST_ONE({ GATE: this.onLineOf(kw), DEF: () => this.CONSUME(T.NumberLiteral) });
  });

  /** `preprocess resize 256 crop 224 bicubic mean … std …`: the eval transform of an input image. */
  preprocessStatement = this.RULE('preprocessStatement', () => {
    const kw = this.CONSUME(T.Preprocess);
    this.MANY({ GATE: this.onLineOf(kw), DEF: () => this.SUBRULE(this.preprocessOption) });
  });

  /** `resize N`, `crop N`, `crop_pct F`, `mean R G B`, `std R G B`, or the interpolation's name. */
  preprocessOption = this.RULE('preprocessOption', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Resize) }, { ALT: () => this.CONSUME(T.Crop) }, { ALT: () => this.CONSUME(T.CropPct) }]);
          this.CONSUME(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.OR3([{ ALT: () => this.CONSUME(T.Mean) }, { ALT: () => this.CONSUME(T.Std) }]);
          // Numbers on the line of the number before: a statement's options stay on its keyword's line.
          this.AT_LEAST_ONE({ GATE: () => this.going() && this.LA(1).startLine === this.LA(0).startLine, DEF: () => this.CONSUME2(T.NumberLiteral) });
        },
      },
      { ALT: () => this.CONSUME(T.Identifier) },
    ]);
  });

  /** `keyword number` settings: drop_path, width, depth, resolution, phi, dropout, output_stride. */
  scalarStatement = this.RULE('scalarStatement', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.DropPath) },
      { ALT: () => this.CONSUME(T.Width) },
      { ALT: () => this.CONSUME(T.Depth) },
      { ALT: () => this.CONSUME(T.Resolution) },
      { ALT: () => this.CONSUME(T.Phi) },
      { ALT: () => this.CONSUME(T.Dropout) },
      { ALT: () => this.CONSUME(T.OutputStride) },
    ]);
    this.CONSUME(T.NumberLiteral);
  });

  unknownStatement = this.RULE('unknownStatement', () => {
    const first = this.CONSUME(T.Word);
    this.MANY({ GATE: this.onLineOf(first), DEF: () => this.CONSUME(T.LineWord) });
  });
}

/** One parser instance: Chevrotain parsers are reusable and costly to build. */
let instance: EffnetParser | undefined;
export function effnetParser(): EffnetParser {
  instance ??= new EffnetParser();
  return instance;
}
