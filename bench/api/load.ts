// A closed-loop HTTP load generator: `connections` clients on keep-alive connections, each
// sending its next request as soon as the previous answer is read in full, for `seconds`.
// Used instead of autocannon because autocannon appends every body chunk to a string
// (`req.body += chunk`): for a binary body (the data map's Arrow file) that UTF-8 decoding
// costs the client ~10 ms per 400 KB, so the client, not the server, set the ceiling (89
// req/s against a server that was idle 75 % of the time). Bodies here are read as bytes and
// counted. Latencies are kept in full, so p95 is exact rather than bounded by p97.5.
import { Pool } from "undici";

export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  latency: { p50: number; p90: number; p95: number; p99: number; max: number };
  errors: number;
  non2xx: number;
  /** Mean body bytes per response, as sent (compressed when the server compressed). */
  meanBytes: number;
  /** CPU seconds this (client) process used during the load. */
  clientCpuSeconds: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN;

export async function closedLoopLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  let bytes = 0;
  let non2xx = 0;
  try {
    const result = await closedLoop(options.connections, options.seconds, async () => {
      const response = await pool.request({ path: url.pathname + url.search, method: options.method ?? "GET", headers: options.headers, body: options.body });
      for await (const chunk of response.body) bytes += (chunk as Buffer).length;
      if (response.statusCode < 200 || response.statusCode >= 300) non2xx++;
    });
    return { ...result, non2xx, meanBytes: result.requests ? Math.round(bytes / result.requests) : 0 };
  } finally {
    await pool.close();
  }
}

/**
 * The same closed loop around any asynchronous call (e.g. the data layer alone, without HTTP
 * and GraphQL, as a baseline): `concurrency` loops, each calling again as soon as the last call
 * settled, for `seconds`. A call that throws counts as an error and not as a request.
 */
export async function closedLoop(concurrency: number, seconds: number, call: () => Promise<void>): Promise<Omit<LoadResult, "non2xx" | "meanBytes">> {
  const latencies: number[] = [];
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await call();
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    requests: latencies.length,
    perSecond: Math.round((latencies.length / elapsed) * 10) / 10,
    latency: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p95: round(percentile(latencies, 95)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? Number.NaN),
    },
    errors,
    clientCpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 10) / 10,
  };
}
