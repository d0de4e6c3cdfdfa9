/** Where a command writes and from where it resolves paths; tests pass their own. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  /** Colour diagnostics (stderr). */
  color: boolean;
  /** Colour what goes to stdout (diff text); defaults to `color`. */
  stdoutColor?: boolean;
}
