// Every workspace declares what it imports, and imports what it declares (issue 12).
// Scans each workspace's .ts/.tsx/.mts/.mjs files (generated code and node_modules aside) for
// import specifiers, and compares the packages they name with the workspace's dependencies,
// devDependencies and optionalDependencies. Tooling shared by every workspace is declared once
// at the root (ROOT_TOOLING), and each of those must itself be used: imported, run by a script,
// referred to by `overrides` or wanted as a peer (unusedRootTooling). Exit 1 with the list when
// anything is off; `node scripts/check-dependencies.mjs` prints it. (knip 6.44 was tried on the
// tree: with entries configured it found the same, plus turbo, which this now catches, and
// flagged the bench's `psql` as a missing binary; so this script, not a new tool, is the check.)
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
  ...["@types/react", "@types/react-dom", "@types/pg", "@types/cli-progress", "@types/node"],
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

const SPECIFIER =
  /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[^\w.])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g;

function packageOf(specifier) {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:") || specifier.startsWith("@/")) return null;
  const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
  return builtins.has(name) ? null : name;
}

export function checkDependencies() {
  const problems = [];
  /** Every package some file of the tree imports (for the root's own devDependencies, below). */
  const importedAnywhere = new Set();
  for (const pattern of rootPackage.workspaces) {
    const dirs = pattern.endsWith("/*") ? fs.readdirSync(path.join(root, pattern.slice(0, -2))).map((d) => path.join(pattern.slice(0, -2), d)) : [pattern];
    for (const dir of dirs) {
      const manifest = path.join(root, dir, "package.json");
      if (!fs.existsSync(manifest)) continue;
      const pkg = JSON.parse(fs.readFileSync(manifest, "utf8"));
      const declared = new Set([
        ...Object.keys(pkg.dependencies ?? {}),
        ...Object.keys(pkg.devDependencies ?? {}),
        ...Object.keys(pkg.optionalDependencies ?? {}),
      ]);
      const imported = new Map();
      for (const file of files(path.join(root, dir))) {
        const text = fs.readFileSync(file, "utf8");
        for (const m of text.matchAll(SPECIFIER)) {
          const name = packageOf(m[1] ?? m[2] ?? m[3]);
          if (name && name !== pkg.name && !imported.has(name)) imported.set(name, path.relative(root, file));
        }
      }
      for (const name of imported.keys()) importedAnywhere.add(name);
      for (const [name, file] of imported) {
        if (!declared.has(name) && !ROOT_TOOLING.has(name)) problems.push(`${dir}: imports ${name} (${file}) without declaring it`);
      }
      for (const name of declared) {
        if (!imported.has(name) && !USED_WITHOUT_IMPORT.has(name)) problems.push(`${dir}: declares ${name} but never imports it`);
      }
    }
  }
  problems.push(...unusedRootTooling(importedAnywhere));
  return problems;
}

/**
 * The root's devDependencies (ROOT_TOOLING) are used when a file of the tree imports them (the
 * root's config files and scripts/ included), a command runs one of their binaries (package.json
 * scripts, scripts/*.mjs, .ci/run, docker/), `overrides` refers to them ("$graphql"), or another
 * root devDependency wants them as a peer (vite for vitest). Anything else is dead weight.
 */
function unusedRootTooling(importedAnywhere) {
  const imported = new Set(importedAnywhere);
  const rootFiles = [
    ...fs
      .readdirSync(root)
      .filter((f) => /\.(js|mjs|ts|mts)$/.test(f))
      .map((f) => path.join(root, f)),
    ...files(path.join(root, "scripts")),
  ];
  for (const file of rootFiles) {
    for (const m of fs.readFileSync(file, "utf8").matchAll(SPECIFIER)) {
      const name = packageOf(m[1] ?? m[2] ?? m[3]);
      if (name) imported.add(name);
    }
  }
  const manifests = [rootPackage, ...workspaceDirs().map((dir) => JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8")))];
  const commandFiles = [
    ...rootFiles,
    path.join(root, ".ci/run"),
    ...(fs.existsSync(path.join(root, "docker")) ? fs.readdirSync(path.join(root, "docker")).map((f) => path.join(root, "docker", f)) : []),
  ];
  const commands = [
    ...manifests.flatMap((m) => Object.values(m.scripts ?? {})),
    ...commandFiles.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, "utf8")),
  ].join("\n");
  const overrides = JSON.stringify(rootPackage.overrides ?? {});
  const manifestOf = (name) => {
    const file = path.join(root, "node_modules", name, "package.json");
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  };
  const peers = new Set([...ROOT_TOOLING].flatMap((name) => Object.keys(manifestOf(name).peerDependencies ?? {})));
  const runs = (name) => {
    const bin = manifestOf(name).bin;
    const bins = typeof bin === "string" ? [name.split("/").pop()] : Object.keys(bin ?? {});
    return bins.some((b) => new RegExp(`(^|[\\s"'\`/(])${b.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([\\s"'\`)]|$)`, "m").test(commands));
  };
  return [...ROOT_TOOLING]
    .filter((name) => !imported.has(name) && !USED_WITHOUT_IMPORT.has(name) && !overrides.includes(`"$${name}"`) && !peers.has(name) && !runs(name))
    .map((name) => `package.json (root): declares ${name} but nothing imports it, runs it or needs it as a peer`);
}

function workspaceDirs() {
  return rootPackage.workspaces
    .flatMap((pattern) =>
      pattern.endsWith("/*") ? fs.readdirSync(path.join(root, pattern.slice(0, -2))).map((d) => path.join(pattern.slice(0, -2), d)) : [pattern],
    )
    .filter((dir) => fs.existsSync(path.join(root, dir, "package.json")));
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
