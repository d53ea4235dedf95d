// Main-thread CPU time for the cartography benchmarks: /proc/self/task/<pid>/stat, 10 ms ticks.
// It leaves out other processes and V8's helper threads, which matters on a shared machine.
import { readFileSync } from "node:fs";

const statFile = `/proc/self/task/${process.pid}/stat`;

export function mainThreadCpuMs(): number {
  const stat = readFileSync(statFile, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
}

export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}
