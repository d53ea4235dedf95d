// Every workspace declares what it imports, and imports what it declares (issue 12).
// Scans each workspace's .ts/.tsx/.mts/.mjs files (generated code and node_modules aside) for
// import specifiers, and compares the packages they name with the workspace's dependencies,
// devDependencies and optionalDependencies. Tooling shared by every workspace is declared once
// at the root (ROOT_TOOLING). Exit 1 with the list when anything is off; `node
// scripts/check-dependencies.mjs` prints it.
import fs from "node:fs";
import path from "node:path";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const rootPackage = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
/** Root devDependencies every workspace may use without declaring them (the test runner, types, the type checker). */
const ROOT_TOOLING = new Set(Object.keys(rootPackage.devDependencies ?? {}));
/** Declared but used without an import (types packages, CLIs run by scripts, native add-ons tried at run time). */
const USED_WITHOUT_IMPORT = new Set([
  ...["@types/react", "@types/react-dom", "@types/pg", "@types/cli-progress"],
  "@tensorflow/tfjs-node", // optional, loaded by a computed name in libs/model backend.ts when it installed
  "@prisma/client", // imported by the generated client (libs/db/src/generated, skipped here)
  "react-dom", // a peer of next
  "@0no-co/graphqlsp", // the web's TypeScript plugin (tsconfig.json), which gql.tada's CLI reads its schema from
]);
const SKIP_DIRS = new Set(["node_modules", ".next", "generated", "artifacts", "dist"]);
const builtins = new Set(builtinModules);

function files(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) || e.name.startsWith(".") ? [] : files(path.join(dir, e.name));
    return /\.(ts|tsx|mts|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [path.join(dir, e.name)] : [];
  });
}

const SPECIFIER = /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[^\w.])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g;

function packageOf(specifier) {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:") || specifier.startsWith("@/")) return null;
  const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
  return builtins.has(name) ? null : name;
}

export function checkDependencies() {
  const problems = [];
  for (const pattern of rootPackage.workspaces) {
    const dirs = pattern.endsWith("/*") ? fs.readdirSync(path.join(root, pattern.slice(0, -2))).map((d) => path.join(pattern.slice(0, -2), d)) : [pattern];
    for (const dir of dirs) {
      const manifest = path.join(root, dir, "package.json");
      if (!fs.existsSync(manifest)) continue;
      const pkg = JSON.parse(fs.readFileSync(manifest, "utf8"));
      const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
      const imported = new Map();
      for (const file of files(path.join(root, dir))) {
        const text = fs.readFileSync(file, "utf8");
        for (const m of text.matchAll(SPECIFIER)) {
          const name = packageOf(m[1] ?? m[2] ?? m[3]);
          if (name && name !== pkg.name && !imported.has(name)) imported.set(name, path.relative(root, file));
        }
      }
      for (const [name, file] of imported) {
        if (!declared.has(name) && !ROOT_TOOLING.has(name)) problems.push(`${dir}: imports ${name} (${file}) without declaring it`);
      }
      for (const name of declared) {
        if (!imported.has(name) && !USED_WITHOUT_IMPORT.has(name)) problems.push(`${dir}: declares ${name} but never imports it`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = checkDependencies();
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log("dependencies: every workspace declares what it imports and imports what it declares");
  // Data access only in libs/db (issue 12): the check proves it still catches a planted
  // violation, then runs on apps/.
  const { checkDataAccessAgainstList, DATA_ACCESS_HINT, NOT_YET_MOVED, selfTest } = await import("./check-data-access.mjs");
  selfTest();
  const access = checkDataAccessAgainstList();
  for (const p of access) console.error(p);
  if (access.length) {
    console.error(`\n${access.length} data-access violation(s). ${DATA_ACCESS_HINT}`);
    process.exit(1);
  }
  const left = [...NOT_YET_MOVED.values()].reduce((a, b) => a + b, 0);
  console.log(`data access: no Prisma or SQL in apps/ outside their tests${left ? ` (${left} still being moved, in ${NOT_YET_MOVED.size} file(s))` : ""}`);
}
