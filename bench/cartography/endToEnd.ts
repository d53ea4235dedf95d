// `gdc score` end to end on allenai/cartography-layout files of 1 M examples × 20 epochs
// (3-class logits, written the way pandas' to_json writes them: ≤ 10 decimals), against the
// reference measured for allenai/cartography on this kind of machine: its reader 148 s plus
// compute_train_dy_metrics 242 s = 390 s, 5.5 GB peak memory.
//
// Method: the files are generated once into /tmp (reused while the parameters match), then the
// real binary runs under /usr/bin/time, which reports wall seconds and the process's peak
// resident set (maxRSS). With --baseline, a plain readline + JSON.parse reader with a join by
// guid (the straightforward approach) reads the same files in this process, for the ratio.
//   npx tsx bench/cartography/endToEnd.ts [examples] [epochs] [--baseline]
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "@gdc/cartography";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const n = Number(args[0] ?? 1_000_000);
const epochs = Number(args[1] ?? 20);
const withBaseline = process.argv.includes("--baseline");
const CLASSES = 3;
const dir = `/tmp/gdc-bench-allenai-${n}x${epochs}`;
const gdc = fileURLToPath(new URL("../../apps/cli/bin/gdc.mjs", import.meta.url));

async function generate(): Promise<void> {
  const marker = join(dir, "complete");
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "training_dynamics"), { recursive: true });
  const random = mulberry32(11);
  // Per example: gold class, how fast it is learned, how noisy (noisy ones get forgotten).
  const gold = new Uint8Array(n);
  const speed = new Float32Array(n);
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    gold[i] = Math.floor(random() * CLASSES);
    speed[i] = 0.05 + 0.5 * random();
    noise[i] = 0.2 + 2.5 * random() * random();
  }
  const fmt = (x: number) => String(Number(x.toFixed(10)));
  for (let e = 0; e < epochs; e++) {
    const out = createWriteStream(join(dir, "training_dynamics", `dynamics_epoch_${e}.jsonl`));
    let batch = "";
    for (let i = 0; i < n; i++) {
      const logits: string[] = [];
      for (let c = 0; c < CLASSES; c++) {
        const signal = c === gold[i] ? speed[i]! * e - 1 : 0;
        logits.push(fmt(signal + noise[i]! * (random() - 0.5) * 2));
      }
      batch += `{"guid":${i},"logits_epoch_${e}":[${logits.join(",")}],"gold":${gold[i]}}\n`;
      if (batch.length > 1 << 20) {
        if (!out.write(batch)) await once(out, "drain");
        batch = "";
      }
    }
    out.end(batch);
    await once(out, "finish");
    process.stderr.write(`generated epoch ${e + 1}/${epochs}\n`);
  }
  writeFileSync(marker, "");
}

/** The straightforward reader: readline + JSON.parse per line, a Map from guid to its logits. */
async function readlineBaseline(): Promise<number> {
  const byGuid = new Map<string, { gold: number; logits: number[][] }>();
  for (let e = 0; e < epochs; e++) {
    const lines = createInterface({ input: createReadStream(join(dir, "training_dynamics", `dynamics_epoch_${e}.jsonl`)), crlfDelay: Infinity });
    for await (const line of lines) {
      const record = JSON.parse(line) as { guid: number; gold: number } & Record<string, number[]>;
      const key = String(record.guid);
      let entry = byGuid.get(key);
      if (entry === undefined) byGuid.set(key, (entry = { gold: record.gold, logits: [] }));
      entry.logits.push(record[`logits_epoch_${e}`]!);
    }
  }
  return byGuid.size;
}

await generate();
let bytes = 0;
for (let e = 0; e < epochs; e++) bytes += statSync(join(dir, "training_dynamics", `dynamics_epoch_${e}.jsonl`)).size;
const out = join(dir, "scores.csv");
const run = spawnSync("/usr/bin/time", ["-f", "TIME %e %M %U %S", process.execPath, gdc, "score", dir, "--out", out], { encoding: "utf8" });
if (run.status !== 0) throw new Error(`gdc score failed:\n${run.stderr}`);
const timeLine = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(run.stderr);
if (timeLine === null) throw new Error(`no timing in:\n${run.stderr}`);
const seconds = Number(timeLine[1]);
const peakBytes = Number(timeLine[2]) * 1024;
const cpuSeconds = Number(timeLine[3]) + Number(timeLine[4]);
const rows = readFileSync(out, "utf8").split("\n").length - 2;

console.log(`gdc score on allenai/cartography files: ${n} examples × ${epochs} epochs, ${(bytes / 1e9).toFixed(2)} GB of JSONL`);
console.log(
  run.stderr
    .split("\n")
    .filter((l) => l.startsWith("scored") || l.startsWith("thresholds") || l.startsWith("STABLE"))
    .map((l) => `  | ${l}`)
    .join("\n"),
);
console.log(`  wall time:   ${seconds.toFixed(1)} s   (allenai/cartography: 390 s → ${(390 / seconds).toFixed(1)}× faster; target ≥ 10×)`);
console.log(`  CPU time:    ${cpuSeconds.toFixed(1)} s   (user + sys, all threads; on a shared machine the fairer number: ${(390 / cpuSeconds).toFixed(1)}×)`);
console.log(
  `  peak RSS:    ${(peakBytes / 1e9).toFixed(2)} GB (allenai/cartography: 5.5 GB → ${((peakBytes / 5.5e9) * 100).toFixed(1)} % of it; target ≤ 10 %)`,
);
console.log(`  rows written: ${rows}`);
if (withBaseline) {
  const t0 = performance.now();
  const examples = await readlineBaseline();
  const baseline = (performance.now() - t0) / 1000;
  console.log(
    `  readline + JSON.parse + join by guid, reading only: ${baseline.toFixed(1)} s for ${examples} examples (${(baseline / seconds).toFixed(1)}× gdc score's whole run)`,
  );
}
