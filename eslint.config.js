// ESLint for the whole monorepo (issue 12): typescript-eslint's recommended rules, import cycles,
// React's hooks rules for the web, and the layering that ARCHITECTURE.md describes:
//
//   apps/*  →  libs/db  →  libs/study → libs/privacy → libs/model
//                      ↘  libs/cartography (pure)
//
// The layers are defined once, in LAYERS below; each entry names the folders it covers and what
// their files must not import. A folder's files get every entry that covers them (apps/web is
// both "an app" and "the web"), merged into one `no-restricted-imports` rule.
// `import-x/no-relative-packages` makes a relative path into another workspace an error too, so
// the package name (which the layers check) is the only way across.
import fs from "node:fs";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

/** An import pattern: a regular expression over the specifier, and why it is refused. */
const refuse = (regex, message) => ({ regex, message });

const APPS = refuse("^@gdc/(api|worker|cli|web)(/|$)", "a library never imports an app (apps → libs, never back).");
const DB = refuse("^@gdc/db(/|$)", "only apps use libs/db (apps → libs/db → pure libs).");
const DATA_ACCESS = refuse("^(@prisma/|pg$|pg-boss$|pg/)", "data access lives in libs/db: call a service or query module of @gdc/db.");
const TFJS = refuse("^@tensorflow/", "TensorFlow.js is libs/model's; import the model through @gdc/model.");

/**
 * Files of apps/ that still import pg or @prisma/* while issue 12's data-access work moves them
 * into libs/db. Remove an entry when its file is moved; scripts/lint-layers.test.ts fails on an
 * entry whose file no longer imports them, so the list cannot go stale.
 */
export const PENDING_DATA_ACCESS = ["apps/api/test/token-cache.int.test.ts"];

/**
 * The layers: for each group of folders, what their files must not import. The one place that
 * says it; ARCHITECTURE.md ("Layers and lint") explains it, and scripts/lint-layers.test.ts
 * proves a violation fails.
 */
export const LAYERS = [
  {
    name: "libs/cartography: pure math, no database, no model, no app",
    files: ["libs/cartography/**"],
    refuse: [APPS, DB, DATA_ACCESS, TFJS, refuse("^@gdc/(model|study|privacy)(/|$)", "libs/cartography is pure: it imports no other workspace.")],
  },
  {
    name: "libs/model, libs/privacy, libs/study: domain libraries without storage",
    files: ["libs/model/**", "libs/privacy/**", "libs/study/**"],
    refuse: [APPS, DB, DATA_ACCESS],
  },
  {
    name: "libs/db: storage and services; only the /config schemas of the model and the study (no TF.js)",
    files: ["libs/db/**"],
    refuse: [
      APPS,
      TFJS,
      refuse("^@gdc/(model|study)$", "libs/db validates with @gdc/model/config and @gdc/study/config only: the root modules load TensorFlow.js."),
      refuse("^@gdc/privacy(/|$)", "libs/db does not run privacy measurements; the worker does."),
    ],
  },
  {
    name: "apps: data access only through @gdc/db",
    files: ["apps/**"],
    except: PENDING_DATA_ACCESS,
    refuse: [DATA_ACCESS],
  },
  {
    name: "apps/web: a browser app that talks GraphQL only",
    files: ["apps/web/**"],
    refuse: [
      refuse(
        "^(@gdc/(db|model|study|privacy|worker|cli)(/|$)|@tensorflow/)",
        "the web imports no server package (no database, no TensorFlow.js): it talks GraphQL; its one workspace import is @gdc/cartography/palette.",
      ),
    ],
  },
  {
    name: "apps/web sources: not even the API (its tests may read the API's query-cost rules)",
    files: ["apps/web/src/**", "apps/web/*.ts", "apps/web/*.mjs"],
    refuse: [refuse("^@gdc/api(/|$)", "the web talks to the API over HTTP (/graphql), never by importing it.")],
  },
];

/** One config object per distinct set of applicable layers, so overlapping globs merge instead of overriding each other. */
function layerConfigs() {
  const configs = [];
  for (const layer of LAYERS) {
    // Every layer whose folders contain this layer's folders applies here too (apps/** covers apps/web/**).
    const applies = LAYERS.filter((other) => other === layer || layer.files.every((f) => other.files.some((g) => covers(g, f))));
    configs.push({
      name: `layers/${layer.name}`,
      files: layer.files.map((f) => (f.endsWith("/**") ? `${f}/*.{ts,tsx,mts,mjs,js}` : f)),
      ...(layer.except ? { ignores: layer.except } : {}),
      rules: { "no-restricted-imports": ["error", { patterns: applies.flatMap((l) => l.refuse) }] },
    });
  }
  return configs;
}

/** Whether glob `outer` covers every path of glob `inner` (enough for the "dir/**" and "dir/*.ext" globs above). */
function covers(outer, inner) {
  if (outer === inner) return true;
  return outer.endsWith("/**") && inner.startsWith(outer.slice(0, -2));
}

/**
 * What git ignores (.gitignore, and this clone's .git/info/exclude: scratch folders), as ESLint
 * ignore globs: "/x/" is anchored at the root, "x/" matches at any depth, "x" a file or folder.
 */
function gitIgnores() {
  const lines = [".gitignore", ".git/info/exclude"]
    .map((f) => new URL(f, import.meta.url))
    .flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n") : []));
  return lines
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && !l.startsWith("!"))
    .flatMap((l) => {
      const glob = l.startsWith("/") ? l.slice(1) : `**/${l}`;
      return glob.endsWith("/") ? [`${glob}**`] : [glob, `${glob}/**`];
    });
}

export default tseslint.config(
  {
    name: "ignores: what git ignores, and generated files, study reports and other languages",
    ignores: [...gitIgnores(), "docs/**", "python/**", "apps/web/next-env.d.ts", "apps/web/src/graphql-env.d.ts"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: "all sources",
    files: ["**/*.{ts,tsx,mts,mjs,js}"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { "import-x": importX },
    settings: {
      // Which files import-x parses to follow imports (its default is .js only: no-cycle would see no TypeScript).
      "import-x/extensions": [".ts", ".tsx", ".mts", ".mjs", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx", ".mts"] },
      // Our workspaces are internal: no-cycle follows "@gdc/…" imports (it skips external packages).
      "import-x/internal-regex": "^@gdc/",
      // Not followed: packages, and the generated Prisma client (large, and imports nothing of ours).
      "import-x/ignore": ["node_modules", "/generated/"],
      "import-x/resolver-next": [
        createTypeScriptImportResolver({ project: ["tsconfig.json", "apps/web/tsconfig.json", "e2e/tsconfig.json"], noWarnOnMultipleProjects: true }),
      ],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-relative-packages": "error",
      // `_`-prefixed names are the convention for a parameter a signature needs but the body does not use.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
    },
  },
  {
    name: "tests, benchmarks and the end-to-end suite",
    files: ["**/test/**", "bench/**", "e2e/**"],
    rules: {
      // Tests read untyped JSON answers (GraphQL, CSV, Arrow) and poke at them; `any` is the honest type there.
      "@typescript-eslint/no-explicit-any": "off",
      // Test helpers are shared across workspaces by path (the governance harness, the e2e stack, the
      // CLI runner) and benchmarks measure library internals; the layers still apply to what they import.
      "import-x/no-relative-packages": "off",
    },
  },
  {
    name: "apps/web: browser globals and React's hooks rules",
    files: ["apps/web/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    // The two classic hooks rules. The React Compiler's rules in `recommended` (static-components,
    // set-state-in-effect, refs, …) run the compiler over every component: ~70 % of the whole
    // lint's time here (26 s of 38 s on 2 cores), so they are left for a later, opt-in run.
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
  },
  ...layerConfigs(),
);
