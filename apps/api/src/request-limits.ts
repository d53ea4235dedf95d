import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { MaxTokensParserWLexer } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLArmorRejectCallback } from "@escape.tech/graphql-armor-types";
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from "graphql";

// What one request may ask for, beyond the cost limit (server.ts): GraphQL Armor's limits on the
// document's size and shape, and a rule of our own for fields that read a whole table.

/** Deepest selection accepted (introspection's `__schema` does not count). */
export const MAX_QUERY_DEPTH = 12;
/** Most aliases in one operation: aliases are how one request repeats a field with its work. */
export const MAX_ALIASES = 30;
/** Most lexical tokens in one document (the largest query the apps send has a few hundred). */
export const MAX_TOKENS = 5_000;
/** Most directives (`@include`, `@skip`) in one operation. */
export const MAX_DIRECTIVES = 20;

/**
 * Fields whose one execution reads a whole table or a whole run, however small their selection:
 * each may appear at most once in an operation, and not inside a list (where it would run once
 * per item). Keyed `Type.field`.
 */
export const ONCE_PER_OPERATION_FIELDS: ReadonlyMap<string, string> = new Map([
  ["Query.verifyAuditChain", "re-hashes the whole audit trail"],
  ["Query.__schema", "describes the whole schema"],
  ["Run.dataMap", "reads every score of the run"],
  ["ExampleConnection.totalCount", "counts every matching example"],
]);

/** Armor reports a rejection as a validation error (GRAPHQL_VALIDATION_FAILED, 400) instead of throwing out of validate(). */
const report: GraphQLArmorRejectCallback = (context, error) => context?.reportError(error);
const armor = { propagateOnRejection: false, exposeLimits: true, onReject: [report] };

/** The validation rules for the operation's shape: depth, aliases, directives (GraphQL Armor) and once-per-operation fields. */
export const limitRules: ValidationRule[] = [
  maxDepthRule({ n: MAX_QUERY_DEPTH, ...armor }) as ValidationRule,
  // `__typename` counts too (Armor exempts it by default): every alias is another field in the answer.
  maxAliasesRule({ n: MAX_ALIASES, allowList: [], ...armor }) as ValidationRule,
  maxDirectivesRule({ n: MAX_DIRECTIVES, ...armor }) as ValidationRule,
  oncePerOperationRule,
];

/**
 * The token limit, checked before the document is parsed for execution (Apollo Server offers no
 * hook that may refuse a request during parsing): the error, or null when the query is within
 * it. Other syntax errors are left to Apollo, which reports them as usual.
 */
export function tokenLimitError(query: unknown): GraphQLError | null {
  if (typeof query !== "string" || query.length < MAX_TOKENS) return null;
  try {
    new MaxTokensParserWLexer(query, { n: MAX_TOKENS }).parseDocument();
    return null;
  } catch (err) {
    return err instanceof GraphQLError && /Token limit/.test(err.message) ? err : null;
  }
}

/** ValidationRule: each ONCE_PER_OPERATION_FIELDS field at most once per operation, never below a list. */
function oncePerOperationRule(context: Parameters<ValidationRule>[0]): ReturnType<ValidationRule> {
  const schema = context.getSchema();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return {
    OperationDefinition(operation: OperationDefinitionNode) {
      const root = schema.getRootType(operation.operation);
      if (!root) return;
      const seen = new Map<string, { count: number; inList: boolean; node: FieldNode }>();
      const walk = (set: SelectionSetNode, parent: GraphQLNamedType, inList: boolean, fragmentPath: Set<string>) => {
        for (const s of set.selections) {
          if (s.kind === Kind.FRAGMENT_SPREAD) {
            const fragment = fragments.get(s.name.value);
            // Unknown fragments and cycles are reported by graphql's own rules.
            if (!fragment || fragmentPath.has(s.name.value)) continue;
            const type = schema.getType(fragment.typeCondition.name.value) ?? parent;
            walk(fragment.selectionSet, type, inList, new Set([...fragmentPath, s.name.value]));
            continue;
          }
          if (s.kind === Kind.INLINE_FRAGMENT) {
            const type = s.typeCondition ? (schema.getType(s.typeCondition.name.value) ?? parent) : parent;
            walk(s.selectionSet, type, inList, fragmentPath);
            continue;
          }
          const name = s.name.value;
          const key = `${parent.name}.${name}`;
          if (ONCE_PER_OPERATION_FIELDS.has(key)) {
            const entry = seen.get(key) ?? { count: 0, inList: false, node: s };
            seen.set(key, { count: entry.count + 1, inList: entry.inList || inList, node: entry.node });
          }
          if (!s.selectionSet) continue;
          const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
          if (!field) continue; // an unknown field: FieldsOnCorrectTypeRule reports it
          walk(s.selectionSet, getNamedType(field.type), inList || isListType(getNullableType(field.type)) || hasInnerList(field.type), fragmentPath);
        }
      };
      walk(operation.selectionSet, root, false, new Set());
      for (const [key, { count, inList, node }] of seen) {
        if (count < 2 && !inList) continue;
        const where = inList ? "inside a list, where it would run once per item" : `${count} times`;
        context.reportError(
          new GraphQLError(`${key} may be selected at most once per operation (it ${ONCE_PER_OPERATION_FIELDS.get(key)}); this operation selects it ${where}`, {
            nodes: [node],
            extensions: { limit: "oncePerOperation", field: key },
          }),
        );
      }
    },
  };
}

/** A list anywhere in a wrapped type ([T]!, [[T]]). */
function hasInnerList(type: unknown): boolean {
  let t = type as { ofType?: unknown } | undefined;
  while (t) {
    if (isListType(t)) return true;
    t = t.ofType as { ofType?: unknown } | undefined;
  }
  return false;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text PostgreSQL cannot store (NUL) or that is not valid Unicode (a lone surrogate): what is wrong with it, or null. */
export function invalidText(value: string): string | null {
  if (value.includes("\u0000")) return "must not contain NUL characters (\\u0000)";
  if (LONE_SURROGATE.test(value)) return "is not valid Unicode text (it has a lone surrogate)";
  return null;
}

/**
 * Checks every string in the operation's arguments — inline literals and variable values, JSON
 * values to any depth, object keys included — and returns the first invalid one as
 * BAD_USER_INPUT naming its argument path (`input.examples.3.text`, `filter.search`), or null. One
 * check for every field's arguments instead of one per service.
 */
export function invalidTextInArguments(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): GraphQLError | null {
  const checkValue = (value: unknown, path: string): GraphQLError | null => {
    if (typeof value === "string") {
      const problem = invalidText(value);
      return problem ? badText(path, problem) : null;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const error = checkValue(value[i], `${path}.${i}`);
        if (error) return error;
      }
      return null;
    }
    if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        const keyProblem = invalidText(key);
        if (keyProblem) return badText(`${path}.${key}`, `key ${keyProblem}`);
        const error = checkValue(item, `${path}.${key}`);
        if (error) return error;
      }
    }
    return null;
  };
  const checkNode = (node: ValueNode, path: string): GraphQLError | null => {
    switch (node.kind) {
      case Kind.STRING: {
        const problem = invalidText(node.value);
        return problem ? badText(path, problem) : null;
      }
      case Kind.VARIABLE:
        return checkValue(variables[node.name.value], path);
      case Kind.LIST:
        for (let i = 0; i < node.values.length; i++) {
          const error = checkNode(node.values[i]!, `${path}.${i}`);
          if (error) return error;
        }
        return null;
      case Kind.OBJECT:
        for (const field of node.fields) {
          const error = checkNode(field.value, `${path}.${field.name.value}`);
          if (error) return error;
        }
        return null;
      default:
        return null;
    }
  };
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode): GraphQLError | null => {
    for (const s of set.selections) {
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        if (visited.has(s.name.value)) continue;
        visited.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        const error = fragment ? walk(fragment.selectionSet) : null;
        if (error) return error;
        continue;
      }
      if (s.kind === Kind.FIELD) {
        for (const argument of s.arguments ?? []) {
          const error = checkNode(argument.value, argument.name.value);
          if (error) return error;
        }
      }
      if (s.selectionSet) {
        const error = walk(s.selectionSet);
        if (error) return error;
      }
    }
    return null;
  };
  return walk(operation.selectionSet);
}

/** BAD_USER_INPUT naming the path (a NUL inside an object key is written \u0000 there). */
function badText(rawPath: string, problem: string) {
  const path = rawPath.replaceAll("\u0000", "\\u0000");
  return new GraphQLError(`${path}: ${problem}`, { extensions: { code: "BAD_USER_INPUT", field: path, http: { status: 400 } } });
}
