// Runs gql.tada's CLI (what `npm run graphql:types -w @gdc/web` runs) from the web's folder.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function gqlTada(args: string[]): void {
  const cli = path.join(path.dirname(createRequire(import.meta.url).resolve("gql.tada/package.json")), "bin/cli.js");
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: webRoot, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`gql.tada ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
}
