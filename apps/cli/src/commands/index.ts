import type { Command } from "commander";
import { register as start } from "./start.ts";
import { register as score } from "./score.ts";

/** Each command lives in its own file and exports `register(program)`. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [start, score];
import { register as importExamples } from "./import-examples.ts";
commands.push(importExamples);
import { register as propose } from "./propose.ts";
commands.push(propose);
import { register as review } from "./review.ts";
commands.push(review);
import { register as release } from "./release.ts";
commands.push(release);
import { register as exportCommand } from "./export.ts";
commands.push(exportCommand);
import { register as audit } from "./audit.ts";
commands.push(audit);
import { register as importDynamics } from "./import-dynamics.ts";
commands.push(importDynamics);
import { register as study } from "./study.ts";
commands.push(study);
