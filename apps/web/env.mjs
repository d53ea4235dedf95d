// @ts-check
// The web app's environment, read and validated here only (the server side's is libs/db
// env.ts; the web imports no server package). Used by serve.mjs and the route handlers.

export const DEFAULT_API_URL = "http://127.0.0.1:4000/graphql";

/** @param {NodeJS.ProcessEnv} [source] */
export function webEnv(source = process.env) {
  const rawApi = source.GDC_API_URL?.trim() || DEFAULT_API_URL;
  if (!URL.canParse(rawApi)) throw new Error(`GDC_API_URL must be a URL (got ${JSON.stringify(source.GDC_API_URL)})`);
  const rawPort = source.GDC_WEB_PORT?.trim();
  const port = rawPort ? Number(rawPort) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`GDC_WEB_PORT must be a port number from 0 to 65535 (got ${JSON.stringify(source.GDC_WEB_PORT)})`);
  return {
    /** The GraphQL endpoint; /export/* goes to its origin. */
    apiUrl: new URL(rawApi),
    /** Where the production server (serve.mjs's child) listens. */
    host: source.GDC_WEB_HOST?.trim() || "127.0.0.1",
    port,
  };
}
