import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { nodeProxy } from "../api-proxy.mjs";
import { routeToApi } from "../src/lib/api-route";

// A stand-in API: echoes what reached it, serves one gzip export and one 304.
let api: http.Server;
let apiUrl: URL;
let proxy: http.Server;
let proxyOrigin: string;
const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  api = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === "/graphql") {
        res.writeHead(200, { "content-type": "application/json", "x-secret": "no" });
        res.end(JSON.stringify({ data: { echo: body } }));
      } else if (req.url?.startsWith("/export/map")) {
        if (req.headers["if-none-match"] === '"v1"') return res.writeHead(304, { etag: '"v1"' }).end();
        const gzip = req.headers["accept-encoding"]?.includes("gzip");
        const payload = Buffer.from("arrow-bytes");
        res.writeHead(200, {
          "content-type": "application/vnd.apache.arrow.file",
          etag: '"v1"',
          "x-gdc-point-count": "3",
          "set-cookie": "no",
          ...(gzip ? { "content-encoding": "gzip" } : {}),
        });
        res.end(gzip ? gzipSync(payload) : payload);
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  apiUrl = new URL(`http://127.0.0.1:${(api.address() as AddressInfo).port}/graphql`);
  process.env.GDC_API_URL = apiUrl.href;
  const graphql = nodeProxy("graphql", apiUrl);
  const exports = nodeProxy("export", apiUrl);
  proxy = http.createServer((req, res) => void ((req.url ?? "").startsWith("/export/") ? exports(req, res) : graphql(req, res)));
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyOrigin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  delete process.env.GDC_API_URL;
  proxy.closeAllConnections();
  await new Promise((r) => proxy.close(r));
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
});

const post = { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer t", cookie: "c=1" }, body: '{"query":"{ me { id } }"}' };

test("graphql: serve.mjs's proxy and the route handler forward the body and Authorization only, and pass JSON back", async () => {
  for (const send of [
    (init: RequestInit) => fetch(`${proxyOrigin}/graphql`, init),
    (init: RequestInit) => routeToApi("graphql", new Request("http://web.local/graphql", init)),
  ]) {
    seen.length = 0;
    const res = await send(post);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-secret")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ data: { echo: post.body } });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/graphql", body: post.body });
    expect(seen[0]!.headers.authorization).toBe("Bearer t");
    expect(seen[0]!.headers.cookie).toBeUndefined();
    expect((await send({ method: "GET" })).status).toBe(405);
  }
});

test("export: both forward If-None-Match and the listed headers; only serve.mjs's passes gzip through, the route handler asks for identity", async () => {
  seen.length = 0;
  const viaServe = await fetch(`${proxyOrigin}/export/map?run=1`, { headers: { authorization: "Bearer t", "accept-encoding": "gzip" } });
  expect(viaServe.status).toBe(200);
  expect(viaServe.headers.get("x-gdc-point-count")).toBe("3");
  expect(viaServe.headers.get("set-cookie")).toBeNull();
  expect(await viaServe.text()).toBe("arrow-bytes"); // fetch decoded the gzip body it was labelled with
  expect(seen[0]!.headers["accept-encoding"]).toBe("gzip");

  seen.length = 0;
  const viaRoute = await routeToApi(
    "export",
    new Request("http://web.local/export/map?run=1", { headers: { authorization: "Bearer t", "accept-encoding": "gzip" } }),
  );
  expect(viaRoute.status).toBe(200);
  expect(Buffer.from(await viaRoute.arrayBuffer()).toString()).toBe("arrow-bytes");
  expect(seen[0]!.headers["accept-encoding"]).toBeUndefined();
  expect(seen[0]!.url).toBe("/export/map?run=1");

  const notModified = await routeToApi("export", new Request("http://web.local/export/map", { headers: { "if-none-match": '"v1"' } }));
  expect(notModified.status).toBe(304);
  expect((await fetch(`${proxyOrigin}/export/map`, { headers: { "if-none-match": '"v1"' } })).status).toBe(304);
  expect((await routeToApi("export", new Request("http://web.local/export/map", { method: "POST", body: "x" }))).status).toBe(405);
});

test("the API down: 502 with API_UNREACHABLE from both", async () => {
  const down = new URL("http://127.0.0.1:9/graphql");
  process.env.GDC_API_URL = down.href;
  try {
    const res = await routeToApi("graphql", new Request("http://web.local/graphql", post));
    expect(res.status).toBe(502);
    expect((await res.json()).errors[0].extensions.code).toBe("API_UNREACHABLE");
  } finally {
    process.env.GDC_API_URL = apiUrl.href;
  }
});
