// Errors the CLI maps to exit codes: bad input (2) and a failed gate (1). Anything else that
// escapes is the harness's own failure (3).

export class InputError extends Error {
  readonly exitCode = 2;
}

export class GateFailure extends Error {
  readonly exitCode = 1;
}

/** "FILE:LINE:COL: message", the one-line form editors and CI logs link to. */
export function located(file: string, line: number, col: number, message: string): InputError {
  return new InputError(`${file}:${line}:${col}: ${message}`);
}

/** A replay that did not reproduce its recorded digest: the harness broke its own promise (3). */
export class DeterminismLost extends Error {
  readonly exitCode = 3;
}

/** Errors a command has already printed (validate reports each bad file); only the code is left. */
export class Reported extends Error {
  constructor(readonly exitCode: number) {
    super('');
  }
}
