import type { Command } from "commander";
import { register as start } from "./start.ts";
import { register as score } from "./score.ts";

/** Each command lives in its own file and exports `register(program)`. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [start, score];
