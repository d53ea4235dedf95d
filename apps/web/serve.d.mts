export interface StartWebOptions {
  /** Port to listen on; 0 picks a free one. Default 3000. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** The GraphQL API the web app's same-origin /graphql forwards to (and /export/*, to its origin). Default http://127.0.0.1:4000/graphql. */
  apiUrl?: string;
  /** Told about slow steps (building on first start). */
  onStep?: (message: string) => void;
  /** "auto" (default) builds when the build is missing or older than the sources. */
  build?: "auto" | "always" | "never";
}

export interface RunningWeb {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function startWeb(options?: StartWebOptions): Promise<RunningWeb>;
export function buildWeb(onStep?: (message: string) => void): Promise<void>;
export function needsBuild(): boolean;
