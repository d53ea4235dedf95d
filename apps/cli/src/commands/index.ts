import type { Command } from "commander";

/** Each command lives in its own file and exports `register(program)`. */
export type RegisterCommand = (program: Command) => void;

/**
 * Command name → its module, loaded lazily: `gdc score` must not pay for Prisma, Apollo and
 * TensorFlow.js (start-up time and ~0.3 GB of memory). `gdc --help` loads them all.
 */
export const commands: Record<string, () => Promise<{ register: RegisterCommand }>> = {
  start: () => import("./start.ts"),
  score: () => import("./score.ts"),
  study: () => import("./study.ts"),
  "create-dataset": () => import("./create-dataset.ts"),
  "import-examples": () => import("./import-examples.ts"),
  "import-dynamics": () => import("./import-dynamics.ts"),
  propose: () => import("./propose.ts"),
  review: () => import("./review.ts"),
  release: () => import("./release.ts"),
  export: () => import("./export.ts"),
  scores: () => import("./scores.ts"),
  audit: () => import("./audit.ts"),
};
