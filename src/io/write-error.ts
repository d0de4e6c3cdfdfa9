// Apart from write.ts so that a command that writes nothing (check) can recognise the
// error without loading the writer and node:crypto with it.

/** A path a command must not write; `message` is one line. */
export class WriteError extends Error {}
