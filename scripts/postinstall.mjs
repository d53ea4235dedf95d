// Generates the Prisma client after install. prisma.config.ts points the CLI at our offline
// schema-engine bridge, so nothing is downloaded.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

if (!fs.existsSync("prisma/schema.prisma")) process.exit(0);
const result = spawnSync("npx", ["prisma", "generate"], { stdio: "inherit", env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" } });
process.exit(result.status ?? 1);
