import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DomainError } from "@gdc/db";
import { formatError, MAX_BODY_BYTES, MAX_QUERY_DEPTH } from "../src/server.ts";
import { startGovernanceHarness, type GovernanceHarness } from "./governance-harness.ts";

let h: GovernanceHarness;
/** With the settings that are off by default turned on: GDC_INTROSPECTION=1, GDC_DEBUG_ERRORS=1. */
let debug: GovernanceHarness;
beforeAll(async () => {
  h = await startGovernanceHarness();
  debug = await startGovernanceHarness({ introspection: true, debugErrors: true });
});
afterAll(async () => {
  await h?.close();
  await debug?.close();
});

describe("query limits", () => {
  test("too deep a query is refused before it runs", async () => {
    let selection = "id";
    for (let i = 0; i < MAX_QUERY_DEPTH; i++) selection = `parent { ${selection} }`;
    const response = await h.gql(h.users.VIEWER.token, `query Deep { datasets { versions { ${selection} } } }`);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(response.errors?.[0]?.message).toMatch(new RegExp(`Query depth limit of ${MAX_QUERY_DEPTH} exceeded`));
  });

  test("too expensive a query is refused, counting `first` given through variables", async () => {
    const query = `query ($n: Int) { reviewQueue(first: $n) { nodes { id example { id interventions { id reviews { reason reviewer { email } } proposedBy { email } } } } } }`;
    const expensive = await h.gql(h.users.VIEWER.token, query, { n: 500 });
    expect(expensive.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(expensive.errors?.[0]?.message).toMatch(/too expensive/);
    expect((await h.gql(h.users.VIEWER.token, query, { n: 5 })).errors).toBeUndefined();
  });

  test("page sizes above 500 are BAD_USER_INPUT naming the argument", async () => {
    for (const query of [
      `{ reviewQueue(first: 501) { nodes { id } } }`,
      `{ auditEvents(first: 501) { nodes { seq } } }`,
      `{ auditEvents(first: 0) { nodes { seq } } }`,
    ]) {
      const response = await h.gql(h.users.VIEWER.token, query);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    }
  });

  test("introspection is off unless GDC_INTROSPECTION turns it on (then it is not counted against depth)", async () => {
    const query = `{ __schema { types { name fields { name args { name type { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } } }`;
    const off = await h.gql(null, query);
    expect(off.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(off.errors?.[0]?.message).toMatch(/introspection is not allowed/i);
    expect((await debug.gql(null, query)).errors).toBeUndefined();
  });

  test("unknown fragments and fragment cycles are reported, not crashed on", async () => {
    const unknown = await h.gql(h.users.VIEWER.token, `{ datasets { ...Nope } }`);
    expect(unknown.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const cycle = await h.gql(h.users.VIEWER.token, `{ datasets { ...A } } fragment A on Dataset { ...B } fragment B on Dataset { ...A }`);
    expect(cycle.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

describe("requests", () => {
  test("a body over the size limit gets 413", async () => {
    const response = await fetch(h.api.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${h.users.VIEWER.token}` },
      body: JSON.stringify({ query: "{ me { id } }", padding: "x".repeat(MAX_BODY_BYTES) }),
    });
    expect(response.status).toBe(413);
  });

  test("CSRF prevention: simple requests (no JSON content-type, no preflight header) are refused", async () => {
    const get = await fetch(`${h.api.url}?query=${encodeURIComponent("{ me { id } }")}`);
    expect(get.status).toBe(400);
    const textPost = await fetch(h.api.url, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ query: "{ me { id } }" }) });
    expect(textPost.status).toBe(400);
    const withPreflightHeader = await fetch(`${h.api.url}?query=${encodeURIComponent("{ me { id } }")}`, { headers: { "apollo-require-preflight": "true" } });
    expect(withPreflightHeader.status).toBe(200);
  });
});

describe("typed errors", () => {
  test("DomainErrors carry their code (and field); responses have no stack trace unless GDC_DEBUG_ERRORS is on", async () => {
    for (const harness of [h, debug]) {
      const response = await harness.gql(harness.users.ENGINEER.token, `mutation { createDataset(input: { name: "no/slashes" }) { id } }`);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "name" });
      if (harness === h) expect(response.errors?.[0]?.extensions?.stacktrace).toBeUndefined();
    }
    const missing = await h.gql(h.users.VIEWER.token, `{ version(id: "00000000-0000-4000-8000-000000000000") { id } }`);
    expect(missing.errors).toBeUndefined();
    expect(missing.data).toEqual({ version: null });
    // An id that cannot name anything (not a UUID) is not found either: null, never a database
    // error ("invalid input syntax for type uuid") — the web shows its "not found" page for it.
    const badId = await h.gql(h.users.VIEWER.token, `{ version(id: "not-a-uuid") { id } }`);
    expect(badId.errors).toBeUndefined();
    expect(badId.data).toEqual({ version: null });
  });

  test("variables of the wrong type are BAD_USER_INPUT (400), not an internal error", async () => {
    const response = await h.gql(h.users.ENGINEER.token, `mutation ($input: ImportExamplesInput!) { importExamples(input: $input) { received } }`, {
      input: { versionId: "00000000-0000-4000-8000-000000000000", examples: [{ text: 5 }] },
    });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(response.errors?.[0]?.extensions?.field).toBe("input.examples[0].text");
  });

  test("a unique violation that slips past a service's check is CONFLICT, never an internal error", async () => {
    const name = `race-${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => h.gql(h.users.ENGINEER.token, `mutation ($name: String!) { createDataset(input: { name: $name }) { id } }`, { name })),
    );
    expect(responses.filter((r) => !r.errors).length).toBe(1);
    expect(responses.filter((r) => r.errors).map((r) => r.errors?.[0]?.extensions?.code)).toEqual(Array(5).fill("CONFLICT"));
  });

  test("unknown errors are INTERNAL_SERVER_ERROR with a generic message and no stack, unless debugging", () => {
    const logged: string[] = [];
    const error = new Error("connection to 10.0.0.5 refused: password authentication failed");
    const formatted = { message: error.message, extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["Error: …"] } };
    const production = formatError({ debug: false, log: (m) => logged.push(m) })(formatted, error);
    expect(production).toEqual({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(logged[0]).toMatch(/password authentication failed/);
    const development = formatError({ debug: true, log: () => {} })(formatted, error);
    expect(development.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(development.message).toMatch(/refused/);
    const domain = formatError({ debug: false, log: () => {} })({ message: "x" }, new DomainError("NOT_FOUND", "Run 1 not found"));
    expect(domain).toEqual({ message: "Run 1 not found", extensions: { code: "NOT_FOUND" } });
  });
});
