// autocannon ships no types (and @types/autocannon is not a dependency): the part the benchmark uses.
declare module "autocannon" {
  interface Percentiles {
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    max: number;
    average: number;
  }
  interface Result {
    requests: { total: number; average: number };
    latency: Percentiles;
    errors: number;
    non2xx: number;
    timeouts: number;
  }
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    duration?: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
