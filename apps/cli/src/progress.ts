import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on stderr (stdout stays clean for data). On a non-TTY stderr (CI, pipes)
 * it prints a plain line every ~10 % instead of redrawing.
 */
export function createProgress(label: string, total: number, unit = "items"): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | ETA {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done, payload) => bar.update(done, payload), stop: () => bar.stop() };
  }
  let nextReport = 0;
  return {
    update(done) {
      if (total <= 0) return;
      const pct = Math.floor((done / total) * 100);
      if (pct >= nextReport) {
        process.stderr.write(`${label}: ${pct}% (${done}/${total} ${unit})\n`);
        nextReport = pct + 10;
      }
    },
    stop() {},
  };
}
