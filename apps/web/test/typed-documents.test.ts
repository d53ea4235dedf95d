// Proof that the web's GraphQL documents are typed from the schema (issue 12), in two parts:
// 1. Type-level: this file is part of `tsc -p apps/web/tsconfig.json` (npm test's web
//    typecheck), so the expectTypeOf and @ts-expect-error lines below fail that typecheck if
//    graphql() stops typing results or variables from src/graphql-env.d.ts.
// 2. End to end: a copy of apps/api/schema.graphql with one field's type changed
//    (DatasetVersion.exampleCount Int! → String!) goes through gql.tada's CLI into a temp
//    introspection file, and the real datasets page, type-checked against it with the
//    TypeScript compiler API, must then fail where it passes that field to formatInt.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import { graphql, type ResultOf, type VariablesOf } from "../src/lib/graphql";
import { gqlTada, webRoot } from "./gql-tada";

const PROBE = graphql(`
  query TypedDocumentsProbe($id: ID!) {
    version(id: $id) { id number status exampleCount createdAt release { lineage } }
  }
`);
type ProbeVersion = NonNullable<ResultOf<typeof PROBE>["version"]>;

describe("graphql() types documents from the schema", () => {
  it("types results and variables (checked by tsc; at run time the document is parsed)", () => {
    expect(PROBE.definitions[0]).toMatchObject({ kind: "OperationDefinition", name: { value: "TypedDocumentsProbe" } });
    expectTypeOf<ProbeVersion["number"]>().toEqualTypeOf<number>();
    expectTypeOf<ProbeVersion["status"]>().toEqualTypeOf<"DRAFT" | "RELEASED">();
    // Custom scalars map to their wire types (src/lib/graphql.ts).
    expectTypeOf<ProbeVersion["createdAt"]>().toEqualTypeOf<string>();
    expectTypeOf<NonNullable<ProbeVersion["release"]>["lineage"]>().toEqualTypeOf<unknown>();
    const variables: VariablesOf<typeof PROBE> = { id: "00000000-0000-0000-0000-000000000000" };
    // @ts-expect-error $id is ID!: required
    const missing: VariablesOf<typeof PROBE> = {};
    expect([variables, missing]).toHaveLength(2);
    // @ts-expect-error number is Int!: not a string
    expectTypeOf<ProbeVersion["number"]>().toEqualTypeOf<string>();
    // @ts-expect-error a field the document did not select is not on the result
    expectTypeOf<ProbeVersion>().toHaveProperty("contentHash");
  });
});

/** Error diagnostics of `file` when the web is type-checked with `introspection` as src/graphql-env.d.ts. */
function diagnosticsWith(introspection: string, file: string): string[] {
  const configPath = path.join(webRoot, "tsconfig.json");
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  // types: [] leaves out the global @types packages (node, …) a page does not need: half the files.
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, incremental: false, types: [] };
  delete options.tsBuildInfoFile;
  const envFile = path.join(webRoot, "src/graphql-env.d.ts");
  const host = ts.createCompilerHost(options);
  const { getSourceFile, readFile } = host;
  host.readFile = (name) => (path.resolve(name) === envFile ? introspection : readFile.call(host, name));
  host.getSourceFile = (name, language, ...rest) =>
    path.resolve(name) === envFile ? ts.createSourceFile(name, introspection, language) : getSourceFile.call(host, name, language, ...rest);
  const program = ts.createProgram({ rootNames: [file], options, host });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .filter((d) => d.category === ts.DiagnosticCategory.Error)
    .map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${path.relative(webRoot, d.file?.fileName ?? "?")}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
}

it("changing a field's type in schema.graphql breaks the web's type check", () => {
  const schema = fs.readFileSync(path.join(webRoot, "../api/schema.graphql"), "utf8");
  const changed = schema.replace(/(\ntype DatasetVersion \{[^}]*\n {2}exampleCount: )Int!/, "$1String!");
  expect(changed, "DatasetVersion.exampleCount: Int! is gone from the schema: pick another field here").not.toBe(schema);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-typed-documents-"));
  try {
    fs.writeFileSync(path.join(dir, "schema.graphql"), changed);
    const plugin = { name: "@0no-co/graphqlsp", schema: "./schema.graphql", tadaOutputLocation: "./graphql-env.d.ts" };
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { plugins: [plugin] } }));
    gqlTada(["generate", "output", "--tsconfig", path.join(dir, "tsconfig.json")]);
    const introspection = fs.readFileSync(path.join(dir, "graphql-env.d.ts"), "utf8");

    const page = path.join(webRoot, "src/app/datasets/page.tsx");
    const errors = diagnosticsWith(introspection, page);
    // formatInt(latest?.exampleCount): a string is not a number.
    expect(
      errors.some((e) => e.startsWith("src/app/datasets/page.tsx:") && /'string'.*'number/.test(e)),
      errors.join("\n"),
    ).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
