import { expect, test } from "vitest";
import { apiClientEnv, apiListenAddress, auditAnchorFile, heartbeatStaleSeconds, recoverySweepSeconds, verbose } from "../src/env.ts";

test("numeric settings are validated: defaults when unset, never NaN", () => {
  expect(heartbeatStaleSeconds({})).toBe(120);
  expect(heartbeatStaleSeconds({ GDC_HEARTBEAT_STALE_SECONDS: "0" })).toBe(0);
  expect(heartbeatStaleSeconds({ GDC_HEARTBEAT_STALE_SECONDS: "2.5" })).toBe(2.5);
  expect(() => heartbeatStaleSeconds({ GDC_HEARTBEAT_STALE_SECONDS: "x" })).toThrow(
    /GDC_HEARTBEAT_STALE_SECONDS must be a non-negative number of seconds \(got "x"\)/,
  );
  expect(() => heartbeatStaleSeconds({ GDC_HEARTBEAT_STALE_SECONDS: "-1" })).toThrow(/GDC_HEARTBEAT_STALE_SECONDS/);
  expect(recoverySweepSeconds({})).toBe(15);
  expect(() => recoverySweepSeconds({ GDC_RECOVERY_SWEEP_SECONDS: "0" })).toThrow(/positive/);
  expect(apiListenAddress({})).toEqual({ port: 4000, host: "0.0.0.0" });
  expect(apiListenAddress({ PORT: "0", HOST: "127.0.0.1" })).toEqual({ port: 0, host: "127.0.0.1" });
  expect(() => apiListenAddress({ PORT: "http" })).toThrow(/^PORT must be a port number/);
  expect(() => apiListenAddress({ PORT: "70000" })).toThrow(/^PORT/);
});

test("string and flag settings", () => {
  expect(apiClientEnv({})).toEqual({ apiUrl: "http://127.0.0.1:4000/graphql", token: undefined });
  expect(apiClientEnv({ GDC_API_URL: "https://gdc.example/graphql", GDC_TOKEN: "t" })).toEqual({ apiUrl: "https://gdc.example/graphql", token: "t" });
  expect(() => apiClientEnv({ GDC_API_URL: "not a url" })).toThrow(/^GDC_API_URL must be a URL/);
  expect(auditAnchorFile({})).toBeNull();
  expect(auditAnchorFile({ GDC_AUDIT_ANCHOR_FILE: "/tmp/a.jsonl" })).toBe("/tmp/a.jsonl");
  expect(verbose({})).toBe(false);
  expect(verbose({ GDC_VERBOSE: "1" })).toBe(true);
  expect(() => verbose({ GDC_VERBOSE: "loud" })).toThrow(/GDC_VERBOSE/);
});
