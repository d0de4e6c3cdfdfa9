import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Chevrotain's package entry is its ES module tree, which imports lodash-es one
// function a file: about 700 modules, most of `effnet check`'s start-up. The
// package also ships the same code bundled into one file (lib/chevrotain.mjs),
// which its exports map does not expose, so it is found next to the entry.
// Every value import of chevrotain goes through here: two copies would not
// share token type indices or the GAST classes that grammar/ebnf.ts tests with
// `instanceof`. Types still come from 'chevrotain' itself.

type Chevrotain = typeof import('chevrotain');

const entry = createRequire(import.meta.url).resolve('chevrotain'); // <package>/lib/src/api.js
const bundle = pathToFileURL(join(dirname(entry), '..', 'chevrotain.mjs')).href;
const chevrotain = (await import(bundle)) as Chevrotain;

export const {
  Alternation,
  Alternative,
  createSyntaxDiagramsCode,
  createToken,
  CstParser,
  Lexer,
  NonTerminal,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Rule,
  Terminal,
} = chevrotain;

// The classes as types too, as an import of a class would give them.
export type Alternation = import('chevrotain').Alternation;
export type Alternative = import('chevrotain').Alternative;
export type CstParser = import('chevrotain').CstParser;
export type Lexer = import('chevrotain').Lexer;
export type NonTerminal = import('chevrotain').NonTerminal;
export type Option = import('chevrotain').Option;
export type Repetition = import('chevrotain').Repetition;
export type RepetitionMandatory = import('chevrotain').RepetitionMandatory;
export type RepetitionMandatoryWithSeparator = import('chevrotain').RepetitionMandatoryWithSeparator;
export type RepetitionWithSeparator = import('chevrotain').RepetitionWithSeparator;
export type Rule = import('chevrotain').Rule;
export type Terminal = import('chevrotain').Terminal;
