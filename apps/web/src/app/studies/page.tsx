"use client";
import Link from "next/link";
import { useQuery } from "urql";
import { ErrorNote, Loading, RequireSession, StatusBadge, usePageTitle } from "../../components/Shell";
import { formatDate } from "../../lib/format";
import { errorMessage } from "../../lib/session";
import { graphql } from "../../lib/graphql";

const STUDIES = graphql(`
  query Studies {
    studies {
      id
      status
      createdAt
      finishedAt
      error
      version { id number dataset { id name } }
    }
  }
`);

export default function StudiesPage() {
  usePageTitle("Studies");
  return <RequireSession>{() => <Studies />}</RequireSession>;
}

function Studies() {
  const [result] = useQuery({ query: STUDIES, requestPolicy: "cache-and-network" });
  const studies = result.data?.studies ?? [];
  return (
    <div>
      <h1>Studies</h1>
      <p className="muted">
        An intervention study retrains the same model on a version before and after curation and compares canary extraction, exposure and validation perplexity.
        Start one from a version&apos;s page.
      </p>
      <ErrorNote message={errorMessage(result.error)} />
      {result.fetching && !result.data ? <Loading what="studies" /> : null}
      {result.data && studies.length === 0 ? <p>No studies yet.</p> : null}
      {studies.length ? (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Study</th>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {studies.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link href={`/studies/${s.id}`}>Study of {formatDate(s.createdAt)}</Link>
                  </td>
                  <td>{s.version ? <Link href={`/versions/${s.version.id}`}>{`${s.version.dataset.name} v${s.version.number}`}</Link> : "—"}</td>
                  <td>
                    <StatusBadge status={s.status} />
                    {s.error ? <div className="muted">{s.error}</div> : null}
                  </td>
                  <td>{formatDate(s.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
