/**
 * Typed errors of the cartography engine. Each carries a stable `code` so that transports
 * (CLI exit codes, GraphQL `extensions.code`) can map them without parsing messages.
 */
export class CartographyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A loss or accuracy value that no score can be computed from (NaN, ±∞, accuracy outside [0,1]). */
export class InvalidDynamicsValueError extends CartographyError {
  constructor(
    readonly exampleId: string,
    readonly epoch: number,
    readonly field: "loss" | "acc",
    readonly value: number,
  ) {
    super(
      "INVALID_DYNAMICS_VALUE",
      `example "${exampleId}" epoch ${epoch}: ${field} is ${value}` + (field === "loss" ? " (must be a finite number)" : " (must be in [0, 1])"),
    );
  }
}

/** Matrix dimensions that do not agree (ids × epochs ≠ array length, zero epochs, …). */
export class DynamicsShapeError extends CartographyError {
  constructor(message: string) {
    super("DYNAMICS_SHAPE", message);
  }
}

/** A scoring, quadrant or policy parameter outside its domain; `field` names it. */
export class ConfigError extends CartographyError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super("INVALID_CONFIG", `${field}: ${message}`);
  }
}

/** A training-dynamics file that cannot be read; names the file, the line (1-based) and the field. */
export class DynamicsReadError extends CartographyError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
    readonly detail: string,
  ) {
    super("DYNAMICS_READ", `${file}${line === null ? "" : `:${line}`}: ${field === null ? "" : `${field}: `}${detail}`);
  }
}
