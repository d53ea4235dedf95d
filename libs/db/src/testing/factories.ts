import type { Database } from "../database.ts";
import { systemActor, type Actor } from "../audit.ts";
import { createUser } from "../services/create-user.ts";
import { actorFor, createApiToken } from "../services/api-tokens.ts";
import { createDataset } from "../services/create-dataset.ts";
import { importExamples, type ExampleRecord } from "../services/import-examples.ts";
import type { Role } from "../generated/prisma/enums.ts";

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(++counter).toString(36)}`;

/** A user with a role and a working API token. */
export async function seedUser(db: Database, role: Role, name?: string) {
  const tag = unique();
  const user = await createUser(db, systemActor("seed"), { email: `${role.toLowerCase()}-${tag}@example.test`, name: name ?? `${role} ${tag}`, role });
  const { token } = await createApiToken(db, systemActor("seed"), { userId: user.id, name: "test" });
  return { user, token, actor: actorFor(user) };
}

/** A dataset whose draft version 1 holds `examples` generated texts (plus optional canaries). */
export async function seedDataset(
  db: Database,
  actor: Actor,
  options: { examples?: number; canaries?: number; records?: ExampleRecord[]; name?: string } = {},
) {
  const dataset = await createDataset(db, actor, { name: options.name ?? `dataset-${unique()}` });
  const version = dataset.versions[0]!;
  const records: ExampleRecord[] = options.records ?? [
    ...Array.from({ length: options.examples ?? 10 }, (_, i) => ({ id: `ex-${i}`, text: `example text number ${i}` })),
    ...Array.from({ length: options.canaries ?? 0 }, (_, i) => ({
      id: `canary-${i}`,
      text: `my pin is ${String(100000 + i * 7919).slice(0, 6)}`,
      canary: { prefix: "my pin is ", secret: String(100000 + i * 7919).slice(0, 6) },
    })),
  ];
  if (records.length) await importExamples(db, actor, { versionId: version.id, records });
  return { dataset, version };
}
