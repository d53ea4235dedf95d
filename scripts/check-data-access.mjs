// Data access only in libs/db (issue 12): no Prisma client, no SQL and no database driver in the
// apps' own code (apps/*, their tests aside). A resolver, job or command reads and writes through
// a named function of @gdc/db (libs/db/src/services, libs/db/src/queries). Run by
// scripts/check-dependencies.mjs, hence first in `npm test`; `node scripts/check-data-access.mjs`
// alone prints each violation as file:line, and `--self-test` shows that a violation fails.
//
// What counts as data access (comments and the generated client aside):
//   - the Prisma client: `.prisma`, `prisma.<model>`, `$queryRaw…`, `$executeRaw…`, `$transaction`
//   - raw SQL on the store's handle: `db.sql(…)` / `.sql<…>(…)`, `db.transaction(…)`
//   - SQL text: SELECT … FROM, INSERT INTO, UPDATE … SET, DELETE FROM (upper case, as written here)
//   - a driver or ORM import: pg, @prisma/*, @electric-sql/pglite, pglite-prisma-adapter
// Tests under apps/*/test may set up and inspect the database directly (they test the apps, and
// the data they need is often a state no service produces); everything else may not.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Directories under each app that are not the app's own code. */
const SKIP_DIRS = new Set(["node_modules", ".next", "generated", "dist", "test", "artifacts"]);

export const RULES = [
  { name: "Prisma client", pattern: /(?:\.prisma\b(?!\s*:)|\bprisma\.[a-z$]|\$queryRaw|\$executeRaw|\$transaction\b)/ },
  { name: "raw SQL on the database handle", pattern: /(?:\.sql\s*(?:<[^>]*>)?\s*\(|\bdb\.transaction\s*\()/ },
  { name: "SQL text", pattern: /\bSELECT\b[^;]*\bFROM\b|\bINSERT INTO\b|\bUPDATE\s+"?\w+"?\s+SET\b|\bDELETE FROM\b/ },
  {
    name: "database driver import",
    pattern: /(?:from\s*["']|import\s*\(\s*["']|require\(\s*["'])(?:pg|pg-boss|@prisma\/[\w-]+|@electric-sql\/pglite|pglite-prisma-adapter)(?:\/[^"']*)?["']/,
  },
];

function sourceFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) || e.name.startsWith(".") ? [] : sourceFiles(path.join(dir, e.name));
    return /\.(ts|tsx|mts|mjs|cts|cjs|js)$/.test(e.name) && !e.name.endsWith(".d.ts") && !e.name.endsWith(".d.mts") ? [path.join(dir, e.name)] : [];
  });
}

/** A line with its comments blanked (block comments may span lines), so documentation may name what it must not do. */
function* codeLines(text) {
  let inBlock = false;
  for (const [index, raw] of text.split("\n").entries()) {
    let line = "";
    let i = 0;
    while (i < raw.length) {
      if (inBlock) {
        const end = raw.indexOf("*/", i);
        if (end < 0) {
          i = raw.length;
        } else {
          inBlock = false;
          i = end + 2;
        }
      } else if (raw.startsWith("/*", i)) {
        inBlock = true;
        i += 2;
      } else if (raw.startsWith("//", i) && !/[:"'`]$/.test(raw.slice(0, i))) {
        break;
      } else {
        line += raw[i];
        i += 1;
      }
    }
    yield { number: index + 1, line };
  }
}

/**
 * Every violation under `<root>/apps`, as "apps/<app>/<file>:<line>: <rule>: <code>".
 * `root` defaults to the repository.
 */
export function checkDataAccess(root = repoRoot) {
  const problems = [];
  const appsDir = path.join(root, "apps");
  if (!fs.existsSync(appsDir)) return problems;
  for (const app of fs.readdirSync(appsDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of sourceFiles(path.join(appsDir, app.name))) {
      const relative = path.relative(root, file).split(path.sep).join("/");
      for (const { number, line } of codeLines(fs.readFileSync(file, "utf8"))) {
        for (const rule of RULES) {
          if (rule.pattern.test(line)) problems.push(`${relative}:${number}: ${rule.name}: ${line.trim().slice(0, 120)}`);
        }
      }
    }
  }
  return problems;
}

/**
 * Files whose data access is still being moved into libs/db (issue 12), with how many violations
 * each may keep meanwhile. A file not listed may have none; a listed file that has fewer must
 * have its entry lowered or removed, so the list only shrinks. Empty once the move is done.
 */
export const NOT_YET_MOVED = new Map(Object.entries({}));

/** checkDataAccess, less what NOT_YET_MOVED still allows; plus the entries of NOT_YET_MOVED that are out of date. */
export function checkDataAccessAgainstList(root = repoRoot, allowed = NOT_YET_MOVED) {
  const found = checkDataAccess(root);
  const byFile = new Map();
  for (const p of found) {
    const file = p.slice(0, p.indexOf(":"));
    byFile.set(file, [...(byFile.get(file) ?? []), p]);
  }
  const problems = [];
  for (const [file, list] of byFile) {
    const allowance = allowed.get(file) ?? 0;
    if (list.length > allowance) problems.push(...(allowance ? [`${file}: ${list.length} violations, NOT_YET_MOVED allows ${allowance}:`] : []), ...list);
  }
  for (const [file, allowance] of allowed) {
    const n = byFile.get(file)?.length ?? 0;
    if (n < allowance)
      problems.push(
        `${file}: ${n} violation(s) left, NOT_YET_MOVED in scripts/check-data-access.mjs still allows ${allowance}: ${n ? "lower" : "remove"} its entry`,
      );
  }
  return problems;
}

export const DATA_ACCESS_HINT =
  "apps/ must not use Prisma or SQL (issue 12): move the read or write into libs/db (a service in libs/db/src/services or a query in libs/db/src/queries) and call it from the app.";

/** Plants one violation of each rule in a throwaway tree and checks that each is reported, with its file and line; and that comments and tests are not. */
export function selfTest() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-data-access-"));
  try {
    const write = (file, text) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write(
      "apps/api/src/clean.ts",
      `// ctx.db.prisma.user.findMany() is what we no longer do\n/* SELECT id FROM users */\nexport const ok = await findUserById(db, id);\n`,
    );
    write("apps/api/test/setup.ts", `await t.db.prisma.user.create({ data });\n`);
    write("apps/api/src/resolver.ts", `export const users = () => ctx.db.prisma.user.findMany();\n`);
    write("apps/worker/src/job.ts", `const x = 1;\nawait db.sql<{ id: string }>("SELECT id FROM runs");\n`);
    write("apps/cli/src/start.ts", `import pg from "pg";\n`);
    write("apps/cli/src/raw.ts", "const text = `\n  UPDATE runs SET status = 'FAILED'`;\n");
    const found = checkDataAccess(dir);
    const expected = [
      "apps/api/src/resolver.ts:1: Prisma client",
      "apps/worker/src/job.ts:2: raw SQL on the database handle",
      "apps/worker/src/job.ts:2: SQL text",
      "apps/cli/src/start.ts:1: database driver import",
      "apps/cli/src/raw.ts:2: SQL text",
    ];
    const missing = expected.filter((e) => !found.some((f) => f.startsWith(e)));
    const wrong = found.filter((f) => f.startsWith("apps/api/src/clean.ts") || f.startsWith("apps/api/test/"));
    if (missing.length || wrong.length) {
      throw new Error(`check-data-access self-test failed:\n  not reported: ${missing.join("; ") || "-"}\n  wrongly reported: ${wrong.join("; ") || "-"}`);
    }
    const listed = checkDataAccessAgainstList(
      dir,
      new Map([
        ["apps/api/src/resolver.ts", 1],
        ["apps/api/src/moved.ts", 2],
      ]),
    );
    const listProblems = [
      listed.some((p) => p.startsWith("apps/api/src/resolver.ts")) && "a listed file within its allowance was reported",
      !listed.some((p) => p.startsWith("apps/worker/src/job.ts:2:")) && "an unlisted file's violation was not reported",
      !listed.some((p) => p.startsWith("apps/api/src/moved.ts: 0 violation(s) left") && p.endsWith("remove its entry")) &&
        "a stale list entry was not reported",
    ].filter(Boolean);
    if (listProblems.length) throw new Error(`check-data-access self-test failed: ${listProblems.join("; ")}`);
    return found.length;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--self-test")) {
    const n = selfTest();
    console.log(`check-data-access self-test: the ${n} planted violations are reported with file and line; comments and tests are not`);
  } else {
    const problems = checkDataAccessAgainstList();
    for (const p of problems) console.error(p);
    if (problems.length) {
      console.error(`\n${problems.length} violation(s). ${DATA_ACCESS_HINT}`);
      process.exit(1);
    }
    const left = [...NOT_YET_MOVED.values()].reduce((a, b) => a + b, 0);
    console.log(
      `data access: no Prisma or SQL in apps/ (outside their tests)${left ? ` beyond the ${left} in ${NOT_YET_MOVED.size} file(s) not yet moved` : ""}`,
    );
  }
}
