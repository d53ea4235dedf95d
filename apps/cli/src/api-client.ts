import type { Command } from "commander";
import { apiClientEnv } from "@gdc/db";
import { CliError } from "./errors.ts";

export interface ApiOptions {
  api?: string;
  token?: string;
}

/** `--api URL --token T`, falling back to GDC_API_URL / GDC_TOKEN. */
export function addApiOptions(command: Command): Command {
  const env = apiClientEnv();
  return command.option("--api <url>", "GraphQL endpoint (env GDC_API_URL)", env.apiUrl).option("--token <token>", "API token (env GDC_TOKEN)", env.token);
}

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string };
}

/** A GraphQL client for the CLI: one POST per operation; errors become CliErrors with the server's code. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  static from(options: ApiOptions): ApiClient {
    if (!options.api) throw new CliError("--api: no GraphQL endpoint given (or set GDC_API_URL)");
    return new ApiClient(options.api, options.token);
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch (err) {
      throw new CliError(`cannot reach the API at ${this.url}: ${err instanceof Error ? err.message : String(err)}`, 3);
    }
    const text = await response.text();
    let body: { data?: T; errors?: GraphQLErrorShape[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new CliError(`the API answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, 3);
    }
    if (body.errors?.length) {
      const first = body.errors[0]!;
      const code = first.extensions?.code ? ` [${first.extensions.code}]` : "";
      throw new CliError(`${first.message}${code}`, first.extensions?.code === "UNAUTHENTICATED" || first.extensions?.code === "FORBIDDEN" ? 4 : 2);
    }
    if (!body.data) throw new CliError(`the API answered ${response.status} without data`, 3);
    return body.data;
  }
}
