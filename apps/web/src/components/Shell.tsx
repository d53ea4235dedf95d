"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import { useSession, type Me } from "../lib/session";

const NAV = [
  { href: "/datasets", label: "Datasets" },
  { href: "/review", label: "Review queue" },
  { href: "/studies", label: "Studies" },
  { href: "/audit", label: "Audit log" },
];

/**
 * The tab's title, "<page> — GenDataCarto" (pages are client components, so the layout's
 * metadata cannot name them): tabs, history and bookmarks tell the pages apart. Next writes the
 * layout's title after hydration (streamed metadata), so the page's title is put back whenever
 * the document's title changes while the page is shown.
 */
export function usePageTitle(title: string | null | undefined) {
  useEffect(() => {
    if (!title) return;
    const wanted = `${title} — GenDataCarto`;
    const apply = () => {
      if (document.title !== wanted) document.title = wanted;
    };
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(document.documentElement, { subtree: true, childList: true, characterData: true });
    return () => observer.disconnect();
  }, [title]);
}

export function Header() {
  const { me, signOut } = useSession();
  const pathname = usePathname();
  return (
    <header className="app-header">
      <Link href="/" className="brand">
        GenDataCarto
      </Link>
      <nav aria-label="Main">
        <ul>
          {NAV.map((item) => (
            <li key={item.href}>
              <Link href={item.href} aria-current={pathname?.startsWith(item.href) ? "page" : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="whoami">
        {me ? (
          <>
            <span>
              Signed in as <strong>{me.name}</strong> <span className={`role role-${me.role.toLowerCase()}`}>{me.role}</span>
            </span>
            <button type="button" className="link-button" onClick={() => signOut()}>
              Sign out
            </button>
          </>
        ) : (
          <Link href="/">Sign in</Link>
        )}
      </div>
    </header>
  );
}

/** Renders its children only for a signed-in user; otherwise points to the sign-in page. */
export function RequireSession({ children }: { children: (me: Me) => ReactNode }) {
  const { state } = useSession();
  if (state.status === "loading") return <p className="muted">Loading…</p>;
  if (state.status === "signed-out") {
    return (
      <section className="card">
        <h1>Sign in required</h1>
        {state.notice ? <p role="alert">{state.notice}</p> : null}
        <p>
          <Link href="/">Sign in with an API token</Link> to see this page.
        </p>
      </section>
    );
  }
  return <>{children(state.me)}</>;
}

export function ErrorNote({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <p className="muted" role="status">
      Loading{what ? ` ${what}` : ""}…
    </p>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

/** An opaque JSON value, folded; only rendered once opened (reports can be large). */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  const [open, setOpen] = useState(false);
  if (value === null || value === undefined) return null;
  return (
    <details className="json" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{label}</summary>
      {open ? <pre>{JSON.stringify(value, null, 2)}</pre> : null}
    </details>
  );
}
