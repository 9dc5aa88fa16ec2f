/**
 * Errors a command raises. The entry point maps them to the reference's exit codes:
 * a usage error exits 2 and prints the help of the addressed command, any other error exits 1.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A runtime failure whose message is complete and meant for the user as is. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  /** Exit code to use; 1 unless a command says otherwise. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A malformed flag value of a custom type (tag, time, duration...): exit 1 without help text. */
export class ValueError extends Error {
  override readonly name = "ValueError";
}
