"use client";
// Who is signed in. The API token lives in localStorage and goes out as a Bearer header on
// every request to the same-origin /graphql endpoint. Signing in or out replaces the urql
// client, so no cached answer from one user is ever shown to another.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { Client, Provider, cacheExchange, fetchExchange, stringifyDocument, type CombinedError } from "urql";
import { graphql, type ResultOf } from "./graphql";

export const TOKEN_STORAGE_KEY = "gdc.apiToken";
/** Who the token belonged to when last checked: pages render at once, the check runs alongside. */
const ME_STORAGE_KEY = "gdc.me";
export const GRAPHQL_PATH = "/graphql";

// permissions: the mutations the API's permission table lets this user call;
// canOverrideReleaseGate: whether releaseVersion takes an override of a blocked gate from them.
const ME = graphql(`
  query Me {
    me { id email name role permissions canOverrideReleaseGate }
  }
`);

export type Me = NonNullable<ResultOf<typeof ME>["me"]>;

/**
 * Whether the signed-in user's role may call `mutation`, as the API says (me.permissions):
 * the UI hides or disables what would be refused. The API stays the authority; rules on the
 * data (four eyes, released versions) can still refuse a given item.
 */
export function can(me: Pick<Me, "permissions"> | null | undefined, mutation: string): boolean {
  return Boolean(me?.permissions.includes(mutation));
}

type SessionState = { status: "loading" } | { status: "signed-out"; notice?: string } | { status: "signed-in"; token: string; me: Me };

interface SessionValue {
  state: SessionState;
  me: Me | null;
  signIn(token: string): Promise<Me>;
  signOut(notice?: string): void;
}

const SessionContext = createContext<SessionValue | null>(null);

function makeClient(token: string | null): Client {
  return new Client({
    url: GRAPHQL_PATH,
    exchanges: [cacheExchange, fetchExchange],
    // POST with a JSON body: the API's CSRF prevention refuses simple GET requests.
    preferGetMethod: false,
    fetchOptions: (): RequestInit => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
}

function readCachedMe(): Me | null {
  try {
    const me = JSON.parse(window.localStorage.getItem(ME_STORAGE_KEY) ?? "null") as Me | null;
    // A cached answer from before permissions were asked for is ignored (refetched below).
    return me && typeof me.id === "string" && typeof me.role === "string" && Array.isArray(me.permissions) && typeof me.canOverrideReleaseGate === "boolean"
      ? me
      : null;
  } catch {
    return null;
  }
}

/** Asks the API who owns `token`; null when the token is unknown or revoked. */
async function whoAmI(token: string): Promise<Me | null> {
  const response = await fetch(GRAPHQL_PATH, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: stringifyDocument(ME) }),
  });
  const body = (await response.json().catch(() => null)) as {
    data?: ResultOf<typeof ME>;
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  if (body?.data?.me) return body.data.me;
  const code = body?.errors?.[0]?.extensions?.code;
  if (code && code !== "UNAUTHENTICATED") throw new Error(body?.errors?.[0]?.message ?? `The API answered ${response.status}`);
  if (!body) throw new Error(`The API answered ${response.status}`);
  return null;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });

  useEffect(() => {
    const token = window.localStorage.getItem(TOKEN_STORAGE_KEY);
    if (!token) {
      setState({ status: "signed-out" });
      return;
    }
    const cached = readCachedMe();
    if (cached) setState({ status: "signed-in", token, me: cached });
    whoAmI(token)
      .then((me) => {
        if (me) {
          window.localStorage.setItem(ME_STORAGE_KEY, JSON.stringify(me));
          if (!cached || JSON.stringify(cached) !== JSON.stringify(me)) setState({ status: "signed-in", token, me });
        } else {
          window.localStorage.removeItem(TOKEN_STORAGE_KEY);
          window.localStorage.removeItem(ME_STORAGE_KEY);
          setState({ status: "signed-out", notice: "Your token is no longer valid. Sign in again." });
        }
      })
      .catch((err: unknown) => {
        // The API is unreachable: keep a cached session (pages show their own errors), else explain.
        if (!cached) setState({ status: "signed-out", notice: err instanceof Error ? err.message : String(err) });
      });
  }, []);

  const signIn = useCallback(async (raw: string) => {
    const token = raw.trim();
    if (!token) throw new Error("Enter an API token");
    const me = await whoAmI(token);
    if (!me) throw new Error("This token is not valid (unknown or revoked)");
    window.localStorage.setItem(TOKEN_STORAGE_KEY, token);
    window.localStorage.setItem(ME_STORAGE_KEY, JSON.stringify(me));
    setState({ status: "signed-in", token, me });
    return me;
  }, []);

  const signOut = useCallback((notice?: string) => {
    window.localStorage.removeItem(TOKEN_STORAGE_KEY);
    window.localStorage.removeItem(ME_STORAGE_KEY);
    setState(notice ? { status: "signed-out", notice } : { status: "signed-out" });
  }, []);

  const token = state.status === "signed-in" ? state.token : null;
  const client = useMemo(() => makeClient(token), [token]);
  const value = useMemo<SessionValue>(() => ({ state, me: state.status === "signed-in" ? state.me : null, signIn, signOut }), [state, signIn, signOut]);

  return (
    <SessionContext.Provider value={value}>
      <Provider value={client}>{children}</Provider>
    </SessionContext.Provider>
  );
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

/** The message to show for a failed query or mutation (the API's own wording). */
export function errorMessage(error: CombinedError | Error | null | undefined): string | null {
  if (!error) return null;
  if ("graphQLErrors" in error && error.graphQLErrors.length) {
    return error.graphQLErrors.map((e) => e.message).join("; ");
  }
  if ("networkError" in error && error.networkError) return `Network error: ${error.networkError.message}`;
  return error.message.replace(/^\[(GraphQL|Network)\]\s*/, "");
}
