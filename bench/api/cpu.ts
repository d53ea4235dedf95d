// CPU time of processes on this machine, from /proc (Linux): what a request costs in the API
// processes and in PostgreSQL, independent of how fast or loaded the machine is otherwise.
// Elsewhere (no /proc) every reading is null and the benchmarks print latency only.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node.js runs on

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system CPU, in milliseconds */
  cpuMs: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split at the last ")".
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // After comm: state(0) ppid(1) … utime(11) stime(12)
    return { pid, ppid: Number(fields[1]), comm, cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND };
  } catch {
    return null; // the process ended meanwhile
  }
}

function allStats(): ProcStat[] | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  return entries.flatMap((name) => (/^\d+$/.test(name) ? [readStat(Number(name))].filter((s): s is ProcStat => s !== null) : []));
}

/** CPU time so far, per process: `rootPid` and all its descendants, and every PostgreSQL process. */
export interface CpuSnapshot {
  api: Map<number, number>;
  postgres: Map<number, number>;
}

export function cpuSnapshot(rootPid: number): CpuSnapshot | null {
  const stats = allStats();
  if (!stats) return null;
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const api = new Map<number, number>();
  const stack = stats.filter((s) => s.pid === rootPid);
  while (stack.length) {
    const s = stack.pop()!;
    api.set(s.pid, s.cpuMs);
    stack.push(...(children.get(s.pid) ?? []));
  }
  const postgres = new Map(stats.filter((s) => s.comm === "postgres").map((s) => [s.pid, s.cpuMs]));
  return { api, postgres };
}

/**
 * CPU milliseconds used between two snapshots, by the API processes and by PostgreSQL: each
 * process alive at the end counts from the first snapshot (or from its start, if it started
 * since). What a process that ended in between used is not counted.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { apiMs: number; postgresMs: number } {
  const used = (a: Map<number, number>, b: Map<number, number>) => [...b].reduce((sum, [pid, ms]) => sum + ms - (a.get(pid) ?? 0), 0);
  return { apiMs: used(before.api, after.api), postgresMs: used(before.postgres, after.postgres) };
}
