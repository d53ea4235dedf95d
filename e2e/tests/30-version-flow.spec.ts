import path from "node:path";
import { test, expect, artifacts } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// The version flow that keeps what was trained on (issue 14): release v1 → a run on v1 (an
// external trainer's dynamics, the fast path) → a child draft v2 from the web → a policy proposes
// on v2 from the run's scores → review → release v2 from the web → the lineage "run X on v1 → v1
// → v2" on v2's page, linked. Self-contained: its own dataset, so the shared story is untouched.

async function gql<T>(
  stack: StackInfo,
  user: UserKey,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const response = await fetch(stack.apiUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.users[user].token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}
async function ok<T>(stack: StackInfo, user: UserKey, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const body = await gql<T>(stack, user, query, variables);
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

const N = 40;
const T = 4;
const CREATE_RUN = `mutation ($input: CreateExternalRunInput!) { createExternalRun(input: $input) { id exampleCount } }`;

test("release v1 → run on v1 → propose on the child v2 → review → release v2 → the lineage on v2's page", async ({ page, stack, signInAs }) => {
  const name = `version-flow-${Date.now().toString(36)}`;
  const { createDataset: dataset } = await ok<{ createDataset: { id: string; versions: { id: string }[] } }>(
    stack,
    "engineer",
    `mutation ($name: String!) { createDataset(input: { name: $name }) { id versions { id } } }`,
    { name },
  );
  const v1 = dataset.versions[0]!.id;
  const examples = Array.from({ length: N }, (_, i) => ({ id: `ex-${i}`, text: `version flow example ${i}` }));
  await ok(stack, "engineer", `mutation ($v: ID!, $e: [ExampleInput!]!) { importExamples(input: { versionId: $v, examples: $e }) { created } }`, {
    v: v1,
    e: examples,
  });

  // A run on the draft is refused, saying what to do instead.
  const refused = await gql(stack, "engineer", CREATE_RUN, { input: { versionId: v1, epochs: T, name: "too early" } });
  expect(refused.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  expect(refused.errors?.[0]?.message).toMatch(/is a DRAFT: a run trains on a released, immutable version.*Release it first/);

  // Release v1 from the web.
  await signInAs("admin");
  await page.goto(`${stack.webUrl}/versions/${v1}`);
  await expect(page.getByTestId("lineage")).toContainText("first version");
  await page.getByRole("button", { name: "Release version 1…" }).click();
  await page.getByRole("button", { name: "Confirm: release version 1" }).click();
  await expect(page.getByRole("heading", { name: `${name} — version 1` })).toContainText("RELEASED");

  // The run trains on released v1: an external trainer sends its dynamics (later examples drop
  // their loss more: a distinct memorization each), finishes, and the worker scores it.
  const { createExternalRun: run } = await ok<{ createExternalRun: { id: string; exampleCount: number } }>(stack, "engineer", CREATE_RUN, {
    input: { versionId: v1, epochs: T, name: "pytorch-mlp", framework: "pytorch", scoringConfig: { memorizationSignal: "lossDrop" } },
  });
  expect(run.exampleCount).toBe(N);
  const cells = examples.flatMap((e, i) => Array.from({ length: T }, (_, t) => ({ exampleKey: e.id, epoch: t, loss: 2 - (t * i) / (T * N), accuracy: t / T })));
  await ok(stack, "engineer", `mutation ($input: DynamicsChunkInput!) { ingestDynamics(input: $input) { accepted } }`, { input: { runId: run.id, cells } });
  await ok(stack, "engineer", `mutation ($id: ID!) { finishRun(input: { runId: $id }) { status } }`, { id: run.id });
  await expect
    .poll(async () => (await ok<{ run: { status: string } }>(stack, "viewer", `query ($id: ID!) { run(id: $id) { status } }`, { id: run.id })).run.status, {
      timeout: 30_000,
    })
    .toBe("SUCCEEDED");

  // The child draft v2, from the dataset page.
  await page.goto(`${stack.webUrl}/datasets/${dataset.id}`);
  await page.getByRole("button", { name: "New draft from v1" }).click();
  await expect(page.getByRole("heading", { name: `${name} — version 2` })).toContainText("DRAFT");
  const v2 = page.url().split("/versions/")[1]!.split(/[?#]/)[0]!;

  // The run's scores apply to v2's members by example identity: the top 10 % by memorization.
  const { proposeInterventions: proposal } = await ok<{ proposeInterventions: { proposed: number; interventions: { id: string }[] } }>(
    stack,
    "engineer",
    `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { proposed interventions { id } } }`,
    { input: { versionId: v2, runId: run.id, policy: { name: "pruneTopByMemorization", params: { percent: 10 } }, reason: "memorized by the run on v1" } },
  );
  expect(proposal.proposed).toBe(N / 10);
  await ok(stack, "reviewer", `mutation ($input: ReviewBatchInput!) { reviewInterventions(input: $input) { id } }`, {
    input: { interventionIds: proposal.interventions.map((i) => i.id), decision: "APPROVE", reason: "the run on v1 memorized them" },
  });

  // Before the release, the draft says what its release would record.
  await page.reload();
  const lineage = page.getByTestId("lineage");
  await expect(lineage).toContainText("if released now: run pytorch-mlp on v1 → v1 → v2");

  await page.getByRole("button", { name: "Release version 2…" }).click();
  await page.getByRole("button", { name: "Confirm: release version 2" }).click();
  await expect(page.getByRole("heading", { name: `${name} — version 2` })).toContainText("RELEASED");
  await expect(lineage).toHaveText("run pytorch-mlp on v1 → v1 → v2");
  await expect(lineage.getByRole("link", { name: "pytorch-mlp" })).toHaveAttribute("href", `/runs/${run.id}`);
  await expect(lineage.getByRole("link", { name: "v1" }).first()).toHaveAttribute("href", `/versions/${v1}`);
  await page.screenshot({ path: path.join(artifacts, "version-flow-lineage.png"), fullPage: true });

  // The same lineage through the API, and v1, what the run trained on, kept all N examples.
  const { version } = await ok<{
    version: {
      exampleCount: number;
      lineage: { parent: { id: string }; runs: { run: { id: string }; trainedOn: { id: string }; onDraft: boolean }[]; released: boolean; recorded: boolean };
    };
  }>(
    stack,
    "viewer",
    `query ($id: ID!) { version(id: $id) { exampleCount lineage { parent { id } runs { run { id } trainedOn { id } onDraft } released recorded } } }`,
    { id: v2 },
  );
  expect(version).toEqual({
    exampleCount: N - N / 10,
    lineage: { parent: { id: v1 }, runs: [{ run: { id: run.id }, trainedOn: { id: v1 }, onDraft: false }], released: true, recorded: true },
  });
  const { version: first } = await ok<{ version: { exampleCount: number } }>(stack, "viewer", `query ($id: ID!) { version(id: $id) { exampleCount } }`, {
    id: v1,
  });
  expect(first.exampleCount).toBe(N);

  // The lineage links back to the run.
  await lineage.getByRole("link", { name: "pytorch-mlp" }).click();
  await expect(page.getByRole("heading", { name: /Run pytorch-mlp/ })).toBeVisible();
});
