import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const GDC = fileURLToPath(new URL("../bin/gdc.mjs", import.meta.url));

/** Runs the real `gdc` binary in a child process; resolves with its exit code and output. */
export function gdc(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GDC, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
