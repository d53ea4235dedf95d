// Every GraphQL document the web app sends is valid against the API's printed schema
// (apps/api/schema.graphql) and within its cost limit, so a schema change that breaks a page
// fails here rather than in the browser.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  typeFromAST,
  validate,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { getComplexity } from "graphql-query-complexity";
import { costEstimator, MAX_QUERY_COMPLEXITY } from "@gdc/api/query-cost";

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const schemaFile = path.resolve(webRoot, "../api/schema.graphql");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(d.name) ? [p] : [];
  });
}

function documents(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const file of sourceFiles(path.join(webRoot, "src"))) {
    const source = fs.readFileSync(file, "utf8");
    for (const m of source.matchAll(/\bgraphql\(`([^`]*)`\)/g)) out.push({ file: path.relative(webRoot, file), text: m[1]! });
  }
  return out;
}

// The API's own estimator and limit (apps/api/src/query-cost.ts), not a copy.
const estimator = costEstimator;
const MAX_COST = MAX_QUERY_COMPLEXITY;

/** A value of the right type for a required variable (the cost does not depend on it). */
function dummyValue(type: GraphQLInputType): unknown {
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t)) return [];
  if (isEnumType(t)) return t.getValues()[0]!.value;
  if (isInputObjectType(t)) {
    return Object.fromEntries(
      Object.values(t.getFields())
        .filter((f) => isNonNullType(f.type))
        .map((f) => [f.name, dummyValue(f.type)]),
    );
  }
  return { Int: 1, Float: 0.5, Boolean: true }[t.name] ?? "00000000-0000-0000-0000-000000000000";
}

describe.runIf(fs.existsSync(schemaFile))("GraphQL documents of the web app", () => {
  const schema: GraphQLSchema = buildSchema(fs.existsSync(schemaFile) ? fs.readFileSync(schemaFile, "utf8") : "type Query { a: Int }");
  const docs = documents();

  it("finds the documents", () => {
    expect(docs.length).toBeGreaterThan(15);
  });

  // Typed documents (issue 12): graphql() from src/lib/graphql.ts is the only way to write one,
  // so its result and variables come from the schema; a hand-typed result would hide a change.
  it("every document is written with graphql() and no result is typed by hand", () => {
    const offenders = sourceFiles(path.join(webRoot, "src"))
      .filter((file) => path.basename(file) !== "graphql-env.d.ts")
      .flatMap((file) => {
        const rest = fs.readFileSync(file, "utf8").replace(/\bgraphql\(`[^`]*`\)/g, "graphql()");
        const where = path.relative(webRoot, file);
        return [
          ...[...rest.matchAll(/\b(?:query|mutation|subscription)\s+[A-Z]\w*\s*[({]|\/\* GraphQL \*\/|\bgql\s*[`(]/g)].map(
            (m) => `${where}: document outside graphql(): ${m[0]}`,
          ),
          ...[...rest.matchAll(/\b(?:useQuery|useMutation|useSubscription|\.query|\.mutation)\s*</g)].map((m) => `${where}: hand-typed result: ${m[0]}`),
        ];
      });
    expect(offenders).toEqual([]);
  });

  for (const { file, text } of docs) {
    const name = /(query|mutation)\s+(\w+)/.exec(text)?.[2] ?? "anonymous";
    it(`${name} (${file}) is valid and affordable`, () => {
      const document = parse(text);
      expect(validate(schema, document).map((e) => e.message)).toEqual([]);
      // Variables that multiply cost get the largest value the page sends.
      const variables: Record<string, unknown> = { first: 100, rows: 100 };
      const operation = document.definitions[0] as OperationDefinitionNode;
      for (const v of operation.variableDefinitions ?? []) {
        const type = typeFromAST(schema, v.type as never) as GraphQLInputType | undefined;
        if (type && !(v.variable.name.value in variables)) variables[v.variable.name.value] = dummyValue(type);
      }
      const cost = getComplexity({ schema, query: document, variables, estimators: [estimator] });
      expect(cost).toBeLessThanOrEqual(MAX_COST);
    });
  }
});
