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

/** CPU milliseconds used so far by `rootPid` and all its descendants, and by every PostgreSQL process. */
export function cpuSnapshot(rootPid: number): { apiMs: number; postgresMs: number } | null {
  const stats = allStats();
  if (!stats) return null;
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let apiMs = 0;
  const stack = stats.filter((s) => s.pid === rootPid);
  while (stack.length) {
    const s = stack.pop()!;
    apiMs += s.cpuMs;
    stack.push(...(children.get(s.pid) ?? []));
  }
  const postgresMs = stats.filter((s) => s.comm === "postgres").reduce((sum, s) => sum + s.cpuMs, 0);
  return { apiMs, postgresMs };
}
