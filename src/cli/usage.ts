// The one error every command throws for a mistake in how it was called, in a file of its
// own so that commands import it without input.ts's readers.

/** A mistake in how a command was called: one line on stderr, exit 2. */
export class UsageError extends Error {}
