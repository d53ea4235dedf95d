// Same-origin GraphQL endpoint: forwards to the API server, so the browser never needs CORS.
// A route handler rather than a `rewrites()` entry because rewrites are fixed at build time,
// while the API's address (GDC_API_URL) is only known when the server starts.
export const dynamic = "force-dynamic";

function apiUrl(): string {
  return process.env.GDC_API_URL ?? "http://127.0.0.1:4000/graphql";
}

export async function POST(request: Request): Promise<Response> {
  const headers = new Headers({ "content-type": "application/json", accept: "application/json" });
  const authorization = request.headers.get("authorization");
  if (authorization) headers.set("authorization", authorization);
  let upstream: Response;
  try {
    upstream = await fetch(apiUrl(), { method: "POST", headers, body: await request.arrayBuffer(), cache: "no-store" });
  } catch {
    return Response.json(
      { errors: [{ message: `The GraphQL API is not reachable at ${apiUrl()}`, extensions: { code: "API_UNREACHABLE" } }] },
      { status: 502 },
    );
  }
  return new Response(upstream.body, {
    status: upstream.status,
    headers: { "content-type": upstream.headers.get("content-type") ?? "application/json", "cache-control": "no-store" },
  });
}
