import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from "graphql";
import { canOverrideReleaseGate, type Role } from "@gdc/db";
import { buildSchema } from "../src/server.ts";
import { MUTATION_PERMISSIONS, PUBLIC_QUERY_FIELDS, type MutationName } from "../src/permissions.ts";
import { startGovernanceHarness, type GovernanceHarness } from "./governance-harness.ts";

/**
 * The authorization matrix, driven by the permission table and the schema — no hand-written
 * list of calls to forget to extend. Every operation gets schema-generated arguments that pass
 * GraphQL validation but name nothing that exists (random ids), so an allowed caller reaches
 * the service and gets NOT_FOUND / BAD_USER_INPUT / CONFLICT (or success), while a denied one
 * is stopped by `authorize` with FORBIDDEN (no token: UNAUTHENTICATED) and changes nothing.
 */
let h: GovernanceHarness;
let schema: GraphQLSchema;
beforeAll(async () => {
  h = await startGovernanceHarness();
  schema = await buildSchema();
});
afterAll(async () => h?.close());

const ROLES: Role[] = ["ADMIN", "ENGINEER", "REVIEWER", "VIEWER"];
const DENIED = new Set(["UNAUTHENTICATED", "FORBIDDEN"]);
let counter = 0;

/** A valid value for a required input type: required fields only, ids that exist nowhere. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) out[field.name] = sample(field.type);
    }
    return out;
  }
  if (isEnumType(type)) return type.getValues()[0]!.value;
  switch (type.name) {
    case "ID":
      return randomUUID();
    case "String":
      return `matrix-${++counter}`;
    case "Int":
      return 1;
    case "Float":
      return 0.5;
    case "Boolean":
      return false;
    case "DateTime":
      return new Date().toISOString();
    default:
      return {}; // JSON
  }
}

/** `mutation ($a: T!) { field(a: $a) { __typename } }` with sampled variables for the required arguments. */
function operationFor(kind: "mutation" | "query", field: GraphQLField<unknown, unknown>) {
  const required = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type) && a.defaultValue === undefined);
  const declarations = required.map((a) => `$${a.name}: ${String(a.type)}`).join(", ");
  const passing = required.map((a) => `${a.name}: $${a.name}`).join(", ");
  const selection = isLeafType(getNamedType(field.type)) ? "" : " { __typename }";
  const query = `${kind} ${declarations ? `(${declarations})` : ""} { ${field.name}${passing ? `(${passing})` : ""}${selection} }`;
  return { query, variables: Object.fromEntries(required.map((a) => [a.name, sample(a.type)])) };
}

describe("the permission table", () => {
  test("names exactly the schema's mutations", () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
    expect(Object.keys(MUTATION_PERMISSIONS).sort()).toEqual(mutations);
  });

  test("every mutation × every role and no token: 0 unexpected allows, 0 unexpected denials, nothing written when denied", async () => {
    const fields = schema.getMutationType()!.getFields();
    const unexpected: string[] = [];
    let denials = 0;
    for (const name of Object.keys(MUTATION_PERMISSIONS) as MutationName[]) {
      const field = fields[name];
      if (!field) {
        unexpected.push(`${name}: in the table but not in the schema`);
        continue;
      }
      const allowed: readonly string[] = MUTATION_PERMISSIONS[name];
      for (const role of [...ROLES, null]) {
        const { query, variables } = operationFor("mutation", field);
        const auditBefore = await h.auditCount();
        const response = await h.gql(role ? h.users[role].token : null, query, variables);
        const code = response.errors?.[0]?.extensions?.code;
        const who = role ?? "no token";
        if (role === null || !allowed.includes(role)) {
          denials++;
          const expected = role === null ? "UNAUTHENTICATED" : "FORBIDDEN";
          if (code !== expected)
            unexpected.push(`${name} as ${who}: expected ${expected}, got ${code ?? "success"} ${JSON.stringify(response.errors ?? response.data)}`);
          // …and it is the table that said no (authorize), not some later check in a service.
          else if (role && !/needs one of the roles/.test(response.errors?.[0]?.message ?? ""))
            unexpected.push(`${name} as ${who}: FORBIDDEN, but not by the permission table`);
          if ((await h.auditCount()) !== auditBefore) unexpected.push(`${name} as ${who}: denied, yet an audit event was written`);
        } else if (code && (DENIED.has(code) || code === "INTERNAL_SERVER_ERROR")) {
          unexpected.push(`${name} as ${who}: allowed by the table, got ${code}: ${response.errors?.[0]?.message}`);
        }
      }
    }
    expect(unexpected).toEqual([]);
    expect(denials).toBeGreaterThan(Object.keys(MUTATION_PERMISSIONS).length); // at least the no-token row
  });
});

describe("me.permissions", () => {
  test("lists, for each role, exactly the mutations the table lets it call (what clients show or refuse up front)", async () => {
    for (const role of ROLES) {
      const { me } = await h.ok(h.users[role].token, `{ me { role permissions } }`);
      const allowed = (Object.keys(MUTATION_PERMISSIONS) as MutationName[]).filter((m) => (MUTATION_PERMISSIONS[m] as readonly Role[]).includes(role));
      expect(me, role).toEqual({ role, permissions: allowed });
    }
    // Spot checks against the table as written, so that a wrong derivation cannot pass.
    const of = async (role: Role) => (await h.ok(h.users[role].token, `{ me { permissions } }`)).me.permissions as string[];
    expect(await of("VIEWER")).toEqual(["createApiToken", "revokeApiToken"]);
    expect(await of("REVIEWER")).toContain("reviewIntervention");
    expect(await of("ENGINEER")).not.toContain("reviewIntervention");
  });

  test("canOverrideReleaseGate is the release service's rule (ADMIN only), so the web need not restate it", async () => {
    for (const role of ROLES) {
      const { me } = await h.ok(h.users[role].token, `{ me { canOverrideReleaseGate } }`);
      expect(me.canOverrideReleaseGate, role).toBe(canOverrideReleaseGate(role));
    }
    expect(ROLES.filter((r) => canOverrideReleaseGate(r))).toEqual(["ADMIN"]);
  });
});

describe("queries", () => {
  test("every query field needs a token (except the public ones); any role may read", async () => {
    const fields = schema.getQueryType()!.getFields();
    const unexpected: string[] = [];
    for (const field of Object.values(fields)) {
      const { query, variables } = operationFor("query", field);
      const anonymous = await h.gql(null, query, variables);
      const anonymousCode = anonymous.errors?.[0]?.extensions?.code;
      if (PUBLIC_QUERY_FIELDS.includes(field.name)) {
        if (anonymousCode) unexpected.push(`${field.name} without token: public, got ${anonymousCode}`);
      } else if (anonymousCode !== "UNAUTHENTICATED") {
        unexpected.push(`${field.name} without token: expected UNAUTHENTICATED, got ${anonymousCode ?? "data"}`);
      }
      for (const role of ROLES) {
        const response = await h.gql(h.users[role].token, query, variables);
        const code = response.errors?.[0]?.extensions?.code;
        if (code && (DENIED.has(code) || code === "INTERNAL_SERVER_ERROR"))
          unexpected.push(`${field.name} as ${role}: got ${code}: ${response.errors?.[0]?.message}`);
      }
    }
    expect(unexpected).toEqual([]);
    expect((await h.ok(null, `{ me { id } }`)).me).toBeNull();
    expect((await h.ok(h.users.VIEWER.token, `{ me { id role } }`)).me).toEqual({ id: h.users.VIEWER.user.id, role: "VIEWER" });
  });

  test("a revoked token is no token", async () => {
    const { createApiToken } = await h.ok(
      h.users.VIEWER.token,
      `mutation { createApiToken(input: { name: "short-lived" }) { token apiToken { id user { id } } } }`,
    );
    expect(createApiToken.apiToken.user.id).toBe(h.users.VIEWER.user.id);
    expect((await h.ok(createApiToken.token, `{ me { id } }`)).me).toEqual({ id: h.users.VIEWER.user.id });
    await h.ok(createApiToken.token, `mutation ($id: ID!) { revokeApiToken(input: { id: $id }) { revokedAt } }`, { id: createApiToken.apiToken.id });
    const after = await h.gql(createApiToken.token, `{ datasets { id } }`);
    expect(after.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("token ownership (rules in the service, on top of the table)", () => {
  const CREATE = `mutation ($userId: ID, $name: String!) { createApiToken(input: { userId: $userId, name: $name }) { apiToken { id user { id } } } }`;
  const REVOKE = `mutation ($id: ID!) { revokeApiToken(input: { id: $id }) { id revokedAt } }`;

  test("non-ADMINs create and revoke only their own tokens; ADMIN anyone's", async () => {
    const { ENGINEER, REVIEWER, ADMIN } = h.users;
    const forOther = await h.gql(ENGINEER.token, CREATE, { userId: REVIEWER.user.id, name: "not mine" });
    expect(forOther.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const own = await h.ok(ENGINEER.token, CREATE, { userId: ENGINEER.user.id, name: "mine" });
    const byAdmin = await h.ok(ADMIN.token, CREATE, { userId: REVIEWER.user.id, name: "issued by admin" });
    expect(byAdmin.createApiToken.apiToken.user.id).toBe(REVIEWER.user.id);

    const revokeOther = await h.gql(ENGINEER.token, REVOKE, { id: byAdmin.createApiToken.apiToken.id });
    expect(revokeOther.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await h.ok(ENGINEER.token, REVOKE, { id: own.createApiToken.apiToken.id })).revokeApiToken.revokedAt).toBeTruthy();
    expect((await h.ok(ADMIN.token, REVOKE, { id: byAdmin.createApiToken.apiToken.id })).revokeApiToken.revokedAt).toBeTruthy();

    const mine = await h.ok(ENGINEER.token, `{ apiTokens { user { id } } }`);
    expect(mine.apiTokens.every((t: { user: { id: string } }) => t.user.id === ENGINEER.user.id)).toBe(true);
    const all = await h.ok(ADMIN.token, `{ apiTokens { user { id } } }`);
    expect(new Set(all.apiTokens.map((t: { user: { id: string } }) => t.user.id)).size).toBeGreaterThan(1);
  });
});
