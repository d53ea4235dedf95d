// The abuse suite (issue 13): each attack from the security probe, against the real HTTP server
// and PostgreSQL. Every attack must fail cleanly — an error naming the limit or rule, nothing
// written — while the server keeps answering another client's cheap query.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createApiToken,
  createExternalRun,
  ensurePrivateDir,
  importExamples,
  ingestDynamics,
  lockDataDir,
  openDatabase,
  openJobQueue,
  readEnv,
  systemActor,
  type ExampleRecord,
  type JobQueue,
} from "@gdc/db";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { MAX_ALIASES, MAX_DIRECTIVES, MAX_TOKENS, startApi, type RunningApi } from "../src/index.ts";
import { GQL, startGovernanceHarness, type GovernanceHarness, type GqlResponse } from "./governance-harness.ts";
import { ApiClient } from "../../cli/src/api-client.ts";
import { CliError } from "../../cli/src/errors.ts";
import { importExamplesFile } from "../../cli/src/commands/import-examples.ts";

let h: GovernanceHarness;
beforeAll(async () => {
  h = await startGovernanceHarness();
});
afterAll(async () => h?.close());

/** Rows in the tables an attack could write to: all must be unchanged after a refused one. */
async function writes() {
  const [audit, users, tokens, examples, versions, runs, interventions, reviews] = await Promise.all([
    h.db.prisma.auditEvent.count(),
    h.db.prisma.user.count(),
    h.db.prisma.apiToken.count(),
    h.db.prisma.example.count(),
    h.db.prisma.datasetVersion.count(),
    h.db.prisma.run.count(),
    h.db.prisma.intervention.count(),
    h.db.prisma.review.count(),
  ]);
  return { audit, users, tokens, examples, versions, runs, interventions, reviews };
}

/**
 * Runs `attack` while another client (REVIEWER2) asks `{ me { id } }`: returns the attack's
 * result and how long the bystander waited; the bystander must get its answer, during the
 * attack and after it.
 */
async function whileAttacking<T>(attack: () => Promise<T>): Promise<{ result: T; bystanderMs: number }> {
  const bystander = async () => {
    const started = performance.now();
    const { me } = await h.ok<{ me: { id: string } }>(h.users.REVIEWER2.token, `{ me { id } }`);
    expect(me.id).toBe(h.users.REVIEWER2.user.id);
    return performance.now() - started;
  };
  const [result, bystanderMs] = await Promise.all([attack(), bystander()]);
  await bystander();
  return { result, bystanderMs };
}

/** POSTs a raw GraphQL request (the harness's gql, plus the raw body length). */
async function post(token: string | null, body: unknown, api: { url: string } = h.api): Promise<GqlResponse & { bytes: number; text: string }> {
  const response = await fetch(api.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, bytes: text.length, text, ...(JSON.parse(text) as Omit<GqlResponse, "status">) };
}

const messages = (r: GqlResponse) => (r.errors ?? []).map((e) => e.message).join("\n");
const INTROSPECTION = `__schema { types { name description fields { name description args { name description type { name } } type { name kind ofType { name } } } } }`;

describe("F1: one anonymous request cannot take the API down", () => {
  test("introspection is off by default (NODE_ENV plays no part); GDC_INTROSPECTION=1 turns it on", () => {
    expect(readEnv({}).introspection).toBe(false);
    expect(readEnv({ NODE_ENV: "development" }).introspection).toBe(false);
    expect(readEnv({ GDC_INTROSPECTION: "1" }).introspection).toBe(true);
    expect(() => readEnv({ GDC_INTROSPECTION: "maybe" })).toThrow(/GDC_INTROSPECTION must be 1 or 0/);
  });

  test("100 aliased introspection queries: refused (introspection off, alias limit), small answer, others still served", async () => {
    const before = await writes();
    const query = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: __schema { types { name } }`).join(" ")} }`;
    const { result, bystanderMs } = await whileAttacking(() => post(null, { query }));
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(messages(result)).toContain(`Aliases limit of ${MAX_ALIASES} exceeded, found 100`);
    expect(messages(result)).toMatch(/introspection is not allowed/i);
    expect(messages(result)).toMatch(/Query\.__schema may be selected at most once per operation/);
    expect(result.bytes).toBeLessThan(100_000);
    expect(bystanderMs).toBeLessThan(5_000);
    expect(await writes()).toEqual(before);
  });

  test("the probe's 2,000-copy request is refused by the token limit before it is parsed", async () => {
    let query = "{";
    for (let i = 0; i < 2000; i++) query += ` a${i}: ${INTROSPECTION}`;
    const { result, bystanderMs } = await whileAttacking(() => post(null, { query: `${query} }` }));
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(messages(result)).toContain(`Token limit of ${MAX_TOKENS} exceeded`);
    expect(result.bytes).toBeLessThan(1_000);
    expect(bystanderMs).toBeLessThan(5_000);
  });

  test("the 14,000-copy request (2 MB) is refused by the token limit before it is parsed", async () => {
    let query = "{";
    for (let i = 0; i < 14_000; i++) query += ` a${i}: ${INTROSPECTION}`;
    expect(query.length).toBeGreaterThan(2_000_000);
    const { result, bystanderMs } = await whileAttacking(() => post(null, { query: `${query} }` }));
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(messages(result)).toContain(`Token limit of ${MAX_TOKENS} exceeded`);
    expect(bystanderMs).toBeLessThan(5_000);
  });

  test("with introspection turned on, aliases of __schema are still refused: once per operation, and the alias limit", async () => {
    const open = await startGovernanceHarness({ introspection: true });
    try {
      expect((await open.gql(null, `{ ${INTROSPECTION} }`)).errors).toBeUndefined();
      const twice = await open.gql(null, `{ a: ${INTROSPECTION} b: ${INTROSPECTION} }`);
      expect(twice.status).toBe(400);
      expect(messages(twice)).toMatch(/Query\.__schema may be selected at most once per operation/);
      const many = await open.gql(null, `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(" ")} }`);
      expect(messages(many)).toContain(`Aliases limit of ${MAX_ALIASES} exceeded, found 40`);
    } finally {
      await open.close();
    }
  });
});

describe("F2: whole-table fields cannot be repeated", () => {
  test("200 aliases of verifyAuditChain (a VIEWER): refused naming the rule and the alias limit, others still served", async () => {
    const before = await writes();
    const query = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: verifyAuditChain { ok checked }`).join(" ")} }`;
    const { result, bystanderMs } = await whileAttacking(() => post(h.users.VIEWER.token, { query }));
    expect(result.status).toBe(400);
    expect(messages(result)).toContain(`Aliases limit of ${MAX_ALIASES} exceeded`);
    expect(messages(result)).toMatch(
      /Query\.verifyAuditChain may be selected at most once per operation \(it re-hashes the whole audit trail\); this operation selects it 200 times/,
    );
    expect(bystanderMs).toBeLessThan(5_000);
    expect(await writes()).toEqual(before);
  });

  test("twice is refused too, also through fragments; once is fine", async () => {
    const two = await h.gql(h.users.VIEWER.token, `{ a: verifyAuditChain { ok } b: verifyAuditChain { ok } }`);
    expect(two.status).toBe(400);
    expect(two.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(messages(two)).toMatch(/Query\.verifyAuditChain may be selected at most once per operation/);
    const fragments = await h.gql(
      h.users.VIEWER.token,
      `{ ...A ...B } fragment A on Query { verifyAuditChain { ok } } fragment B on Query { again: verifyAuditChain { checked } }`,
    );
    expect(messages(fragments)).toMatch(/Query\.verifyAuditChain may be selected at most once per operation/);
    const once = await h.ok<{ verifyAuditChain: { ok: boolean } }>(h.users.VIEWER.token, `{ verifyAuditChain { ok checked } }`);
    expect(once.verifyAuditChain.ok).toBe(true);
  });

  test("Run.dataMap and ExampleConnection.totalCount: once per operation, and never inside a list", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    const cases: [string, RegExp][] = [
      [
        `{ run(id: "${id}") { a: dataMap { count } b: dataMap { count } } }`,
        /Run\.dataMap may be selected at most once per operation \(it reads every score of the run\); this operation selects it 2 times/,
      ],
      [`{ runs { dataMap { count } } }`, /Run\.dataMap may be selected at most once per operation .* inside a list, where it would run once per item/],
      [`{ a: run(id: "${id}") { dataMap { count } } b: run(id: "${id}") { dataMap { count } } }`, /Run\.dataMap may be selected at most once per operation/],
      [`{ runs { examples { totalCount } } }`, /ExampleConnection\.totalCount may be selected at most once per operation/],
    ];
    for (const [query, message] of cases) {
      const response = await h.gql(h.users.VIEWER.token, query);
      expect(response.status, query).toBe(400);
      expect(messages(response), query).toMatch(message);
    }
    expect((await h.gql(h.users.VIEWER.token, `{ run(id: "${id}") { dataMap { count } examples { totalCount } } }`)).errors).toBeUndefined();
  });

  test("directive, depth and cost limits name the limit", async () => {
    const directives = await h.gql(h.users.VIEWER.token, `{ me { ${Array.from({ length: MAX_DIRECTIVES + 1 }, () => `id @include(if: true)`).join(" ")} } }`);
    expect(messages(directives)).toContain(`Directives limit of ${MAX_DIRECTIVES} exceeded, found ${MAX_DIRECTIVES + 1}`);
    let selection = "id";
    for (let i = 0; i < 13; i++) selection = `parent { ${selection} }`;
    expect(messages(await h.gql(h.users.VIEWER.token, `{ datasets { versions { ${selection} } } }`))).toMatch(/Query depth limit of 12 exceeded/);
    const expensive = await h.gql(
      h.users.VIEWER.token,
      `{ reviewQueue(first: 500) { nodes { id example { interventions { reviews { reviewer { email } } proposedBy { email } } } } } }`,
    );
    expect(messages(expensive)).toMatch(/too expensive \(estimated cost \d+, at most 25000\)/);
  });
});

describe("F4: NUL bytes and invalid text are BAD_USER_INPUT naming the argument", () => {
  test("every probed mutation argument and the example search, inline and through variables: refused, nothing written", async () => {
    const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 3 });
    const someId = "00000000-0000-4000-8000-000000000001";
    const NUL = "a\u0000b";
    const E = h.users.ENGINEER.token;
    const cases: { who: string; query: string; variables?: Record<string, unknown>; field: string }[] = [
      { who: E, query: GQL.importExamples, variables: { versionId: version.id, examples: [{ text: "fine" }, { text: NUL }] }, field: "input.examples.1.text" },
      {
        who: E,
        query: GQL.importExamples,
        variables: { versionId: version.id, examples: [{ text: "fine", payload: { note: NUL } }] },
        field: "input.examples.0.payload.note",
      },
      {
        who: E,
        query: GQL.importExamples,
        variables: { versionId: version.id, examples: [{ text: "fine", payload: { [NUL]: 1 } }] },
        field: "input.examples.0.payload.a\\u0000b",
      },
      {
        who: E,
        query: `mutation { importExamples(input: { versionId: "${version.id}", examples: [{ text: "x\\u0000y" }] }) { received } }`,
        field: "input.examples.0.text",
      },
      { who: E, query: `mutation ($name: String!) { createApiToken(input: { name: $name }) { token } }`, variables: { name: NUL }, field: "input.name" },
      { who: E, query: `mutation { createApiToken(input: { name: "\\u0000" }) { token } }`, field: "input.name" },
      { who: E, query: GQL.createDraft, variables: { parent: version.id, note: NUL }, field: "input.note" },
      {
        who: E,
        query: `mutation ($input: CreateExternalRunInput!) { createExternalRun(input: $input) { id } }`,
        variables: { input: { versionId: version.id, epochs: 2, name: NUL } },
        field: "input.name",
      },
      {
        who: E,
        query: `mutation { createExternalRun(input: { allowDraft: true, versionId: "${version.id}", epochs: 2, framework: "py\\u0000torch" }) { id } }`,
        field: "input.framework",
      },
      {
        who: h.users.ADMIN.token,
        query: `mutation ($name: String!) { createUser(input: { email: "nul@example.test", name: $name, role: VIEWER }) { id } }`,
        variables: { name: NUL },
        field: "input.name",
      },
      {
        who: E,
        query: GQL.propose,
        variables: { input: { versionId: version.id, exampleIds: [someId], action: "PRUNE", reason: NUL } },
        field: "input.reason",
      },
      {
        who: h.users.REVIEWER.token,
        query: GQL.review,
        variables: { input: { interventionId: someId, decision: "APPROVE", reason: NUL } },
        field: "input.reason",
      },
      {
        who: h.users.REVIEWER.token,
        query: `mutation ($ids: [ID!]!) { reviewInterventions(input: { interventionIds: $ids, decision: REJECT, reason: "no" }) { id } }`,
        variables: { ids: [someId, `${someId}\u0000`] },
        field: "input.interventionIds.1",
      },
      {
        who: h.users.VIEWER.token,
        query: `query ($id: ID!, $s: String) { version(id: $id) { examples(filter: { search: $s }) { edges { node { id } } } } }`,
        variables: { id: version.id, s: NUL },
        field: "filter.search",
      },
      {
        who: h.users.VIEWER.token,
        query: `query ($f: ExampleFilter) { version(id: "${version.id}") { examples(filter: $f) { edges { node { id } } } } }`,
        variables: { f: { search: "\ud800" } },
        field: "filter.search",
      },
    ];
    const before = await writes();
    for (const { who, query, variables, field } of cases) {
      const { result, bystanderMs } = await whileAttacking(() => h.gql(who, query, variables));
      expect(result.errors?.[0]?.extensions, `${field}: ${JSON.stringify(result.errors)}`).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(result.errors?.[0]?.message).toMatch(/must not contain NUL characters|is not valid Unicode text/);
      expect(result.data ?? null).toBeNull();
      expect(bystanderMs).toBeLessThan(5_000);
    }
    expect(await writes()).toEqual(before);
  });
});

describe("F6: no stack traces, SQL or file paths in any response", () => {
  const LEAK = /stacktrace|\/(work|home|usr|tmp|app)\/|node_modules|\.ts:\d+|SELECT |relation "|invocation/;

  test("debug output is off by default in every mode, on only with GDC_DEBUG_ERRORS=1", () => {
    expect(readEnv({}).debugErrors).toBe(false);
    expect(readEnv({ NODE_ENV: "development" }).debugErrors).toBe(false);
    expect(readEnv({ GDC_DEBUG_ERRORS: "1" }).debugErrors).toBe(true);
  });

  test("client errors of every kind, anonymous or not, carry no stack trace", async () => {
    const answers = [
      await post(null, { query: `{ datasets { id } }` }),
      await post(null, { query: `{ datasets { id ` }),
      await post(h.users.VIEWER.token, { query: `{ nope }` }),
      await post(h.users.VIEWER.token, { query: `mutation { createDataset(input: { name: "x" }) { id } }` }),
      await post(h.users.VIEWER.token, { query: `{ version(id: "not-a-uuid") { id } }` }),
    ];
    const csrf = await fetch(h.api.url, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ query: "{ me { id } }" }) });
    for (const text of [...answers.map((a) => a.text), await csrf.text()]) expect(text).not.toMatch(LEAK);
  });

  test("an internal error (a real SQL failure) answers 'Internal server error' with no SQL, path or stack", async () => {
    const t: TestDatabase = await createTestDatabase();
    let queue: JobQueue | undefined;
    let api: RunningApi | undefined;
    try {
      // The datasets query fails inside PostgreSQL, as a broken deployment would.
      const prisma = new Proxy(t.db.prisma, {
        get: (target, prop, receiver) =>
          prop === "dataset"
            ? { findMany: () => target.$queryRawUnsafe(`SELECT * FROM no_such_table_for_the_abuse_test`) }
            : Reflect.get(target, prop, receiver),
      });
      const db = Object.create(t.db, { prisma: { value: prisma } }) as typeof t.db;
      queue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
      const viewer = await seedUser(t.db, "VIEWER");
      api = await startApi({ db, queue }, { port: 0 });
      const response = await post(viewer.token, { query: `{ datasets { id } }` }, api);
      expect(response.errors?.[0]).toEqual({
        message: "Internal server error",
        locations: expect.any(Array),
        path: ["datasets"],
        extensions: { code: "INTERNAL_SERVER_ERROR" },
      });
      expect(response.text).not.toMatch(LEAK);
      expect(response.text).not.toContain("no_such_table");
      // The same server still answers.
      expect((await post(viewer.token, { query: `{ me { id } }` }, api)).data).toEqual({ me: { id: viewer.user.id } });
    } finally {
      await api?.stop();
      await queue?.stop();
      await t.dispose();
    }
  });

  test("a malformed percent-escape in an /export path: 401 without a token, 400 naming the id with one; never 500", async () => {
    const base = h.api.url.replace(/\/graphql$/, "");
    for (const path of ["/export/versions/%E0%A4%A.jsonl", "/export/runs/%E0%A4%A/data-map.arrow"]) {
      const anonymous = await fetch(`${base}${path}`);
      expect(anonymous.status).toBe(401);
      const anonymousText = await anonymous.text();
      expect(anonymousText).not.toContain("%E0");
      expect(anonymousText).not.toMatch(LEAK);
      const withToken = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${h.users.VIEWER.token}` } });
      expect(withToken.status).toBe(400);
      const body = (await withToken.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe("BAD_USER_INPUT");
      expect(body.errors[0]!.message).toMatch(/^(versionId|runId): the path has a malformed percent-escape$/);
    }
  });
});

describe("F3: four eyes that identity tricks cannot pass", () => {
  const CREATE_TOKEN = `mutation ($userId: ID, $name: String!) { createApiToken(input: { userId: $userId, name: $name }) { token } }`;
  const BATCH = `mutation ($input: ReviewBatchInput!) { reviewInterventions(input: $input) { id status } }`;

  /** A draft with examples and one intervention proposed with `token`; its id. */
  async function proposal(token: string) {
    const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 3 });
    const example = await h.db.prisma.versionExample.findFirstOrThrow({ where: { versionId: version.id } });
    const { proposeInterventions } = await h.ok(token, GQL.propose, {
      input: { versionId: version.id, exampleIds: [example.exampleId], action: "PRUNE", reason: "memorized" },
    });
    return proposeInterventions.interventions[0].id as string;
  }

  /** The review is FORBIDDEN naming the rule, and nothing is written; the server still answers others. */
  async function refused(token: string, interventionId: string, rule: RegExp) {
    const before = await writes();
    const { result } = await whileAttacking(() => h.gql(token, GQL.review, { input: { interventionId, decision: "APPROVE", reason: "looks fine" } }));
    expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result.errors)).toBe("FORBIDDEN");
    expect(result.errors?.[0]?.message).toMatch(rule);
    const batch = await h.gql(token, BATCH, { input: { interventionIds: [interventionId], decision: "APPROVE", reason: "looks fine" } });
    expect(batch.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", field: "interventionIds.0" });
    expect(await writes()).toEqual(before);
    expect((await h.db.prisma.intervention.findUniqueOrThrow({ where: { id: interventionId } })).status).toBe("PROPOSED");
  }

  test("(a) an ADMIN mints a token for an existing reviewer and approves their own proposal with it: refused", async () => {
    const { ADMIN, REVIEWER } = h.users;
    const id = await proposal(ADMIN.token);
    const { createApiToken: minted } = await h.ok(ADMIN.token, CREATE_TOKEN, { userId: REVIEWER.user.id, name: "imp" });
    expect(await h.db.prisma.apiToken.findFirst({ where: { userId: REVIEWER.user.id, name: "imp" }, select: { createdById: true } })).toEqual({
      createdById: ADMIN.user.id,
    });
    await refused(minted.token, id, /Four eyes: one of your API tokens was issued by the proposer/);
    // A token the minted one makes for "itself" is still the ADMIN's doing, and so is the reviewer's own: the tie is between the people.
    const { createApiToken: laundered } = await h.ok(minted.token, CREATE_TOKEN, { name: "own" });
    await refused(laundered.token, id, /one of your API tokens was issued by the proposer/);
    await refused(REVIEWER.token, id, /one of your API tokens was issued by the proposer/);
    // The review queue's canReview says the same before anyone tries.
    const canReview = async (token: string) =>
      (await h.ok<{ intervention: { canReview: boolean } }>(token, `query ($id: ID!) { intervention(id: $id) { canReview } }`, { id })).intervention.canReview;
    expect(await canReview(minted.token)).toBe(false);
    expect(await canReview(REVIEWER.token)).toBe(false);
    expect(await canReview(h.users.REVIEWER2.token)).toBe(true);
    // An independent reviewer may review it.
    const approved = await h.ok(h.users.REVIEWER2.token, GQL.review, { input: { interventionId: id, decision: "APPROVE", reason: "independent" } });
    expect(approved.reviewIntervention.status).toBe("APPROVED");
  });

  test("(b) an ADMIN creates a new REVIEWER and reviews with it: refused, even with a token the ADMIN did not issue", async () => {
    const { ADMIN } = h.users;
    const id = await proposal(ADMIN.token);
    const { createUser } = await h.ok(
      ADMIN.token,
      `mutation { createUser(input: { email: "sock-${Date.now()}@example.test", name: "Sock puppet", role: REVIEWER }) { id } }`,
    );
    expect((await h.db.prisma.user.findUniqueOrThrow({ where: { id: createUser.id } })).createdById).toBe(ADMIN.user.id);
    const { createApiToken: minted } = await h.ok(ADMIN.token, CREATE_TOKEN, { userId: createUser.id, name: "puppet" });
    await refused(minted.token, id, /Four eyes: your account was created by the proposer/);
    const systemIssued = await createApiToken(h.db, systemActor("setup"), { userId: createUser.id, name: "setup" });
    await refused(systemIssued.token, id, /Four eyes: your account was created by the proposer/);
  });

  test("(c) the other way round: an ADMIN proposes in an engineer's name with a token it minted, then reviews as itself: refused", async () => {
    const { ADMIN } = h.users;
    const { createUser } = await h.ok(
      ADMIN.token,
      `mutation { createUser(input: { email: "eng-${Date.now()}@example.test", name: "Engineer", role: ENGINEER }) { id } }`,
    );
    const { createApiToken: minted } = await h.ok(ADMIN.token, CREATE_TOKEN, { userId: createUser.id, name: "onboarding" });
    const id = await proposal(minted.token);
    await refused(ADMIN.token, id, /Four eyes: you issued an API token to the proposer/);
  });
});

describe("F5: an import is all or nothing", () => {
  const BAD_AT = 12_346;
  const bads: { record: unknown; field: string; message: RegExp }[] = [
    { record: { id: "bad", text: "nul\u0000byte" }, field: "text", message: /NUL character/ },
    { record: { id: "bad", text: "lone \ud800 surrogate" }, field: "text", message: /not valid Unicode/ },
    { record: { id: "bad", text: "fine", payload: { nested: ["ok", "nul\u0000"] } }, field: "payload.nested.1", message: /NUL character/ },
    { record: { id: "bad", text: "fine", canary: { prefix: "p", secret: "\udc00" } }, field: "canary.secret", message: /not valid Unicode/ },
  ];

  test("gdc import-examples: a bad line at 12,346 of 20,000 writes no example and no audit event, and the error names line and field", async () => {
    const { dataset, version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), "gdc-abuse-import-"));
    try {
      const client = new ApiClient(h.api.url, h.users.ENGINEER.token);
      const good = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: `row-${i}`, text: `row number ${i}` }));
      for (const [n, bad] of bads.entries()) {
        const file = path.join(dir, `bad-${n}.jsonl`);
        const lines = [...good];
        lines[BAD_AT - 1] = JSON.stringify(bad.record);
        writeFileSync(file, lines.join("\n") + "\n");
        const before = await writes();
        const error = await importExamplesFile(client, { file, versionId: version.id }).then(
          () => null,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(CliError);
        expect((error as CliError).message).toMatch(
          new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${BAD_AT}: ${bad.field.replace(/\./g, "\\.")}: `),
        );
        expect((error as CliError).message).toMatch(bad.message);
        expect((error as CliError).message).toMatch(/nothing was imported$/);
        expect(await writes()).toEqual(before);
      }
      expect(await h.db.prisma.example.count({ where: { datasetId: dataset.id } })).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("gdc import-examples: an id that already names other content in the dataset, in the third batch of a file: nothing written, the error names the line", async () => {
    const { dataset, version } = await seedDataset(h.db, h.users.ENGINEER.actor, { records: [{ id: "taken", text: "the original content" }] });
    const dir = mkdtempSync(path.join(tmpdir(), "gdc-abuse-import-conflict-"));
    try {
      const CONFLICT_AT = 2_345;
      const lines = Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ id: `later-${i}`, text: `later row ${i}` }));
      lines[CONFLICT_AT - 1] = JSON.stringify({ id: "taken", text: "other content under the same id" });
      const file = path.join(dir, "conflict.jsonl");
      writeFileSync(file, lines.join("\n") + "\n");
      const before = await writes();
      const error = await importExamplesFile(new ApiClient(h.api.url, h.users.ENGINEER.token), { file, versionId: version.id, batchSize: 1_000 }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).message).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${CONFLICT_AT}: id: "taken" already names an example with different content`),
      );
      expect((error as CliError).message).toMatch(/nothing was imported$/);
      expect(await writes()).toEqual(before);
      expect(await h.db.prisma.example.count({ where: { datasetId: dataset.id } })).toBe(1);
      // The same file without the conflict imports whole.
      lines[CONFLICT_AT - 1] = JSON.stringify({ id: "taken", text: "the original content" });
      writeFileSync(file, lines.join("\n") + "\n");
      expect(await importExamplesFile(new ApiClient(h.api.url, h.users.ENGINEER.token), { file, versionId: version.id, batchSize: 1_000 })).toMatchObject({
        received: 2_500,
        created: 2_499,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the importExamples service (and the mutation) refuse the batch before writing, naming the record and field", async () => {
    const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 0 });
    const records = Array.from({ length: 20_000 }, (_, i): ExampleRecord => ({ id: `svc-${i}`, text: `service row ${i}` }));
    for (const bad of bads) {
      const before = await writes();
      const withBad = [...records];
      withBad[BAD_AT - 1] = bad.record as ExampleRecord;
      await expect(importExamples(h.db, h.users.ENGINEER.actor, { versionId: version.id, records: withBad, describe: (i) => `line ${i + 1}` })).rejects.toThrow(
        new RegExp(`^line ${BAD_AT}: ${bad.field.replace(/\./g, "\\.")}: `),
      );
      const response = await h.gql(h.users.ENGINEER.token, GQL.importExamples, { versionId: version.id, examples: [{ text: "fine" }, bad.record] });
      expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      // The API's input guard or the record schema answers first; either names the record and the field.
      expect(messages(response)).toMatch(new RegExp(`examples(\\[1\\]: |\\.1\\.)${bad.field.split(".")[0]}`));
      expect(await writes()).toEqual(before);
    }
  });
});

describe("F7: nothing derived from a canary's text reaches roles that may not read it", () => {
  test("VIEWER and REVIEWER get no content hash, no hash-shaped key and no text of a canary; ENGINEER and ADMIN do", async () => {
    const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 0 });
    await importExamples(h.db, h.users.ENGINEER.actor, {
      versionId: version.id,
      records: [
        { text: "the secret code of abcde is 123456", canary: { prefix: "the secret code of abcde is ", secret: "123456" } },
        { id: "canary-named", text: "the secret code of fghij is 654321", canary: { prefix: "the secret code of fghij is ", secret: "654321" } },
        { id: "plain", text: "an ordinary example" },
      ],
    });
    const stored = await h.db.prisma.example.findMany({ where: { memberships: { some: { versionId: version.id } } }, orderBy: { key: "asc" } });
    const canaries = stored.filter((e) => e.isCanary);
    expect(canaries).toHaveLength(2);
    const fields = `id key contentHash text isCanary canary { prefix secret }`;
    const page = `query ($id: ID!) { version(id: $id) { examples(first: 10) { edges { node { ${fields} } } } } }`;
    const one = `query ($id: ID!) { example(id: $id) { ${fields} } }`;
    type Node = { id: string; key: string; contentHash: string | null; text: string | null; isCanary: boolean; canary: unknown };
    const read = async (token: string) => {
      const { version: datasetVersion } = await h.ok<{ version: { examples: { edges: { node: Node }[] } } }>(token, page, { id: version.id });
      const singles = await Promise.all(stored.map(async (e) => (await h.ok<{ example: Node }>(token, one, { id: e.id })).example));
      return [...datasetVersion.examples.edges.map((edge) => edge.node), ...singles];
    };
    for (const role of ["VIEWER", "REVIEWER"] as const) {
      const nodes = await read(h.users[role].token);
      expect(nodes).toHaveLength(6);
      for (const node of nodes) {
        const e = stored.find((s) => s.id === node.id)!;
        if (!node.isCanary) {
          expect(node.contentHash).toBe(e.contentHash);
          continue;
        }
        expect(node.contentHash).toBeNull();
        expect(node.text).toBeNull();
        expect(node.canary).toBeNull();
        // A key that is the content hash is the hash: shown as canary:<id> instead; a chosen id stays.
        expect(node.key).toBe(e.key === e.contentHash ? `canary:${e.id}` : e.key);
        expect(JSON.stringify(node)).not.toContain(e.contentHash);
        expect(JSON.stringify(node)).not.toContain(e.contentHash.slice(0, 12));
      }
    }
    for (const role of ["ENGINEER", "ADMIN"] as const) {
      for (const node of await read(h.users[role].token)) {
        const e = stored.find((s) => s.id === node.id)!;
        expect(node).toMatchObject({ key: e.key, contentHash: e.contentHash, text: e.text });
      }
    }
  });
});

describe("F7: ordering by key does not reveal a canary's content hash", () => {
  test("for a VIEWER, KEY order and cursor paging place a hash-keyed canary by canary:<id>, not by its hash; cursors carry no hash", async () => {
    const { version } = await seedDataset(h.db, h.users.ENGINEER.actor, { examples: 0 });
    await importExamples(h.db, h.users.ENGINEER.actor, {
      versionId: version.id,
      records: [
        { text: "the secret code of klmno is 246810", canary: { prefix: "the secret code of klmno is ", secret: "246810" } },
        { id: "canary-named", text: "the secret code of pqrst is 135790", canary: { prefix: "the secret code of pqrst is ", secret: "135790" } },
        { id: "b-plain", text: "an ordinary example" },
        { id: "m-plain", text: "another ordinary example" },
      ],
    });
    const canary = (await h.db.prisma.example.findMany({ where: { memberships: { some: { versionId: version.id } }, isCanary: true } })).find(
      (e) => e.key === e.contentHash,
    )!;
    const PAGE = `query ($id: ID!, $first: Int, $after: String) { version(id: $id) { examples(first: $first, after: $after, orderBy: { field: KEY, direction: ASC }) {
      edges { cursor node { id key } } pageInfo { hasNextPage endCursor } } } }`;
    type Page = {
      version: { examples: { edges: { cursor: string; node: { id: string; key: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    };
    const listing = async (token: string, hash: string) => {
      // The canary's key is its content hash, as for any canary imported without an id; only the hash differs between calls.
      await h.db.sql(`UPDATE examples SET key = $2, content_hash = $2 WHERE id = $1::uuid`, [canary.id, hash]);
      const whole = (await h.ok<Page>(token, PAGE, { id: version.id, first: 50 })).version.examples.edges;
      const paged: typeof whole = [];
      let after: string | null = null;
      for (;;) {
        const { edges, pageInfo }: Page["version"]["examples"] = (await h.ok<Page>(token, PAGE, { id: version.id, first: 1, after })).version.examples;
        paged.push(...edges);
        if (!pageInfo.hasNextPage) break;
        after = pageInfo.endCursor;
      }
      expect(paged.map((e) => e.node.id)).toEqual(whole.map((e) => e.node.id));
      return { ids: whole.map((e) => e.node.id), cursors: [...whole, ...paged].map((e) => Buffer.from(e.cursor, "base64url").toString("utf8")) };
    };
    const low = "0".repeat(64);
    const high = "f".repeat(64);
    for (const role of ["VIEWER", "REVIEWER"] as const) {
      const a = await listing(h.users[role].token, low);
      const b = await listing(h.users[role].token, high);
      expect(a.ids).toHaveLength(4);
      expect(b.ids, `${role}: the order moved with the hash`).toEqual(a.ids);
      expect(a.cursors.join(" ")).not.toContain(low.slice(0, 12));
      expect(b.cursors.join(" ")).not.toContain(high.slice(0, 12));
      expect(a.cursors.join(" ")).toContain(`canary:${canary.id}`);
    }
    // Those who may read canaries order by the stored key, the hash.
    const engineerLow = await listing(h.users.ENGINEER.token, low);
    expect(engineerLow.ids[0]).toBe(canary.id);
    expect((await listing(h.users.ENGINEER.token, high)).ids).not.toEqual(engineerLow.ids);
    await h.db.sql(`UPDATE examples SET key = $2, content_hash = $2 WHERE id = $1::uuid`, [canary.id, canary.contentHash]);
  });
});

describe("F12: API-token prefixes in the audit trail are for ADMINs only", () => {
  test("VIEWER, REVIEWER and ENGINEER read apiToken.create events with prefix null; ADMIN reads the prefix", async () => {
    const { createApiToken: minted } = await h.ok<{ createApiToken: { token: string; apiToken: { id: string; prefix: string } } }>(
      h.users.ADMIN.token,
      `mutation ($userId: ID, $name: String!) { createApiToken(input: { userId: $userId, name: $name }) { token apiToken { id prefix } } }`,
      { userId: h.users.REVIEWER.user.id, name: "prefix-probe" },
    );
    expect(minted.apiToken.prefix).toMatch(/^gdc_/);
    const EVENTS = `query ($targetId: String) { auditEvents(targetType: "ApiToken", targetId: $targetId) { nodes { action before after } } }`;
    type Page = { auditEvents: { nodes: { action: string; before: unknown; after: Record<string, unknown> | null }[] } };
    for (const role of ["VIEWER", "REVIEWER", "ENGINEER"] as const) {
      const { auditEvents } = await h.ok<Page>(h.users[role].token, EVENTS, { targetId: minted.apiToken.id });
      const created = auditEvents.nodes.find((e) => e.action === "apiToken.create");
      expect(created?.after).toMatchObject({ name: "prefix-probe", prefix: null });
      expect(JSON.stringify(auditEvents)).not.toContain(minted.apiToken.prefix);
      // Nor in the unfiltered trail.
      const all = await h.ok<Page>(h.users[role].token, `{ auditEvents(first: 500) { nodes { action before after } } }`);
      expect(JSON.stringify(all)).not.toContain(minted.apiToken.prefix);
    }
    const { auditEvents } = await h.ok<Page>(h.users.ADMIN.token, EVENTS, { targetId: minted.apiToken.id });
    expect(auditEvents.nodes.find((e) => e.action === "apiToken.create")?.after).toMatchObject({ prefix: minted.apiToken.prefix });
  });
});

describe("issue 13 item 15: a repeat that changes nothing writes no audit event", () => {
  test("an identical import (service, mutation, CLI) and an identical ingest chunk add no audit event; a changing one does", async () => {
    const { ENGINEER } = h.users;
    const { version } = await seedDataset(h.db, ENGINEER.actor, { examples: 0 });
    const records: ExampleRecord[] = Array.from({ length: 30 }, (_, i) => ({ id: `repeat-${i}`, text: `repeat ${i}` }));
    const events = () => h.db.prisma.auditEvent.count({ where: { targetId: version.id, action: "examples.import" } });
    expect(await importExamples(h.db, ENGINEER.actor, { versionId: version.id, records })).toMatchObject({ created: 30, addedToVersion: 30 });
    expect(await events()).toBe(1);
    expect(await importExamples(h.db, ENGINEER.actor, { versionId: version.id, records })).toEqual({
      received: 30,
      created: 0,
      alreadyPresent: 30,
      addedToVersion: 0,
    });
    const { importExamples: viaApi } = await h.ok<{ importExamples: { created: number } }>(ENGINEER.token, GQL.importExamples, {
      versionId: version.id,
      examples: records,
    });
    expect(viaApi.created).toBe(0);
    const dir = mkdtempSync(path.join(tmpdir(), "gdc-abuse-repeat-"));
    try {
      const file = path.join(dir, "repeat.jsonl");
      writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const totals = await importExamplesFile(new ApiClient(h.api.url, ENGINEER.token), { file, versionId: version.id, batchSize: 10 });
      expect(totals).toMatchObject({ received: 30, created: 0, addedToVersion: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await events()).toBe(1);
    // One new record among known ones is a change: one event.
    await importExamples(h.db, ENGINEER.actor, { versionId: version.id, records: [...records, { id: "repeat-new", text: "new" }] });
    expect(await events()).toBe(2);

    const run = await createExternalRun(h.db, ENGINEER.actor, { allowDraft: true, versionId: version.id, epochs: 2, framework: "jax" });
    const cells = records.slice(0, 5).map((r) => ({ exampleKey: r.id!, epoch: 0, loss: 0.5, accuracy: 1 }));
    const ingests = () => h.db.prisma.auditEvent.count({ where: { targetId: run.id, action: "dynamics.ingest" } });
    expect((await ingestDynamics(h.db, ENGINEER.actor, { runId: run.id, cells })).accepted).toBe(5);
    expect(await ingests()).toBe(1);
    expect(await ingestDynamics(h.db, ENGINEER.actor, { runId: run.id, cells })).toMatchObject({ accepted: 0, unchanged: 5 });
    expect(await ingests()).toBe(1);
    // Changed values are a change: one more event.
    expect((await ingestDynamics(h.db, ENGINEER.actor, { runId: run.id, cells: cells.map((c) => ({ ...c, loss: 0.25 })) })).accepted).toBe(5);
    expect(await ingests()).toBe(2);
  });
});

/**
 * What a process that died between claiming a stale lock and replacing it leaves behind: its
 * claim, holding its pid (`owner`), as the lock code of each version writes it (the single
 * gdc.lock.takeover of the first atomic version; a claim on the lock file's inode now).
 */
function leaveDeadTakersClaim(dir: string, owner: string) {
  writeFileSync(path.join(dir, "gdc.lock.takeover"), owner.split(" ")[0]!);
  writeFileSync(path.join(dir, `gdc.lock.takeover.${statSync(path.join(dir, "gdc.lock")).ino}.0`), owner);
}

describe("issue 13 items 13 and F11: the embedded data folder", () => {
  test("a process that died mid-takeover, its pid since reused by a live process (here: this one), leaves no lock that no one can take", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gdc-abuse-reused-pid-"));
    try {
      const dead = spawn(process.execPath, ["-e", ""]);
      await new Promise((r) => dead.on("close", r));
      writeFileSync(path.join(dir, "gdc.lock"), String(dead.pid));
      // The dead taker's pid is now this process's (a restarted container gets the same pid); its start time was another.
      leaveDeadTakersClaim(dir, `${process.pid} 1`);
      const release = await lockDataDir(dir, 0);
      expect(readFileSync(path.join(dir, "gdc.lock"), "utf8").split(" ")[0]).toBe(String(process.pid));
      expect(readdirSync(dir)).toEqual(["gdc.lock"]);
      release();
      expect(readdirSync(dir)).toEqual([]);
      // And a lock left by a dead process whose pid is now this one: taken over, not mistaken for ours or for a live owner.
      writeFileSync(path.join(dir, "gdc.lock"), `${process.pid} 1`);
      const again = await lockDataDir(dir, 0);
      expect(readFileSync(path.join(dir, "gdc.lock"), "utf8")).not.toBe(`${process.pid} 1`);
      again();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("is created 0700, and an existing wider folder is tightened to 0700 when opened", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "gdc-abuse-pgdata-"));
    try {
      const fresh = path.join(root, "nested", "pgdata");
      const db = await openDatabase({ dataDir: fresh, databaseUrl: null, migrate: false });
      try {
        expect(db.kind).toBe("pglite");
        expect(statSync(fresh).mode & 0o777).toBe(0o700);
        expect(statSync(path.join(root, "nested")).mode & 0o077).toBe(0);
      } finally {
        await db.close();
      }
      const wide = path.join(root, "wide");
      mkdirSync(wide, { mode: 0o755 });
      chmodSync(wide, 0o755);
      expect(statSync(wide).mode & 0o777).toBe(0o755);
      ensurePrivateDir(wide);
      expect(statSync(wide).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);

  test("20 processes opening one folder at once after a crash (stale lock, empty lock): exactly one wins each time", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "gdc-abuse-lock-"));
    const databaseTs = path.resolve(import.meta.dirname, "../../../libs/db/src/database.ts");
    const script = `
      import { register } from "tsx/esm/api";
      import { createInterface } from "node:readline";
      register();
      const { lockDataDir } = await import(${JSON.stringify(databaseTs)});
      process.stdout.write("ready\\n");
      for await (const line of createInterface({ input: process.stdin })) {
        if (line === "exit") process.exit(0);
        const [, goAt, dir] = line.split(" ");
        while (Date.now() < Number(goAt)); // all start at the same moment
        await lockDataDir(dir, 0).then(
          () => process.stdout.write("won " + dir + "\\n"),
          (err) => process.stdout.write("refused " + dir + " " + String(err.message).split("\\n")[0] + "\\n"),
        );
      }
    `;
    // A pid that is surely dead: a process that has exited.
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.on("close", r));
    const children = Array.from({ length: 20 }, () =>
      spawn(process.execPath, ["--input-type=module", "-e", script], {
        cwd: path.resolve(import.meta.dirname, "../../.."),
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    const outputs = children.map(() => [] as string[]);
    const waiters: ((failure?: Error) => void)[] = [];
    children.forEach((child, i) =>
      createInterface({ input: child.stdout! }).on("line", (line) => {
        outputs[i]!.push(line);
        waiters.splice(0).forEach((w) => w());
      }),
    );
    children.forEach((child) => child.on("close", (code) => waiters.splice(0).forEach((w) => w(new Error(`a locking process exited early (code ${code})`)))));
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise<void>((resolve, reject) => waiters.push((failure) => (failure ? reject(failure) : resolve())));
    };
    try {
      await until(() => outputs.every((o) => o.includes("ready")));
      // Rounds: a stale lock, an empty one, and a stale lock whose taker died mid-takeover (its claim left behind).
      const rounds = [1, 2, 3].flatMap((n) => [
        [`stale-${n}`, String(dead.pid)] as const,
        [`empty-${n}`, ""] as const,
        [`dead-taker-${n}`, String(dead.pid)] as const,
      ]);
      for (const [name, content] of rounds) {
        const dir = path.join(root, name);
        mkdirSync(dir);
        writeFileSync(path.join(dir, "gdc.lock"), content);
        if (name.startsWith("dead-taker")) leaveDeadTakersClaim(dir, String(dead.pid));
        const goAt = Date.now() + 1_000;
        for (const child of children) child.stdin!.write(`lock ${goAt} ${dir}\n`);
        await until(() => outputs.every((o) => o.some((l) => l.includes(` ${dir}`))));
        const answers = outputs.map((o) => o.find((l) => l.includes(` ${dir}`))!);
        const winners = answers.flatMap((a, i) => (a.startsWith("won ") ? [children[i]!.pid] : []));
        expect(winners, `${name}: ${answers.join("\n")}`).toHaveLength(1);
        expect(readFileSync(path.join(dir, "gdc.lock"), "utf8").split(" ")[0]).toBe(String(winners[0]));
        for (const a of answers.filter((a) => a.startsWith("refused "))) expect(a).toMatch(/is in use by process \d+|is being taken over/);
        // Nothing is left behind but the lock itself.
        expect(readdirSync(dir)).toEqual(["gdc.lock"]);
      }
    } finally {
      for (const child of children) child.stdin!.end("exit\n");
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.on("close", r)))));
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});
