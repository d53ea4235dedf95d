"use client";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useMutation, useQuery } from "urql";
import { ErrorNote, Loading, RequireSession, StatusBadge, usePageTitle } from "../../../components/Shell";
import { can, errorMessage, type Me } from "../../../lib/session";
import { formatDate, formatInt, shortHash } from "../../../lib/format";
import { graphql } from "../../../lib/graphql";
import { ReleaseGateForm } from "../../../governance/ReleaseGateForm";

const DATASET = graphql(`
  query Dataset($id: ID!) {
    dataset(id: $id) {
      id
      name
      description
      createdAt
      releaseGate { maxExtractionRatio maxPerplexityIncrease }
      versions {
        id
        number
        status
        note
        contentHash
        createdAt
        releasedAt
        exampleCount
        canaryCount
        parent { id number }
        runs { id name kind status createdAt }
      }
    }
  }
`);

const CREATE_DRAFT = graphql(`
  mutation CreateDraft($input: CreateDraftVersionInput!) {
    createDraftVersion(input: $input) { id number }
  }
`);

export default function DatasetPage() {
  return <RequireSession>{(me) => <Dataset me={me} />}</RequireSession>;
}

function Dataset({ me }: { me: Me }) {
  const { id } = useParams<{ id: string }>();
  const router = useRouter();
  const [result] = useQuery({ query: DATASET, variables: { id } });
  usePageTitle(result.data?.dataset ? `Dataset ${result.data.dataset.name}` : "Dataset");
  const [draft, createDraft] = useMutation(CREATE_DRAFT);
  const { data, fetching, error } = result;
  if (fetching && !data) return <Loading what="dataset" />;
  if (error) return <ErrorNote message={errorMessage(error)} />;
  const dataset = data?.dataset;
  if (!dataset) return <p>Dataset not found.</p>;
  const versions = [...dataset.versions].sort((a, b) => b.number - a.number);

  async function onCreateDraft(parentVersionId: string, parentNumber: number) {
    const r = await createDraft({ input: { parentVersionId, note: `curated from v${parentNumber}` } });
    if (r.data) router.push(`/versions/${r.data.createDraftVersion.id}`);
  }

  return (
    <div>
      <p className="muted">
        <Link href="/datasets">Datasets</Link> /
      </p>
      <h1>{dataset.name}</h1>
      {dataset.description ? <p>{dataset.description}</p> : null}
      <ReleaseGateForm me={me} datasetId={dataset.id} gate={dataset.releaseGate ?? null} />
      <p>
        <Link href="/runs/compare">Compare two scored runs</Link> <span className="muted">(quadrants and memorization, run A against run B)</span>
      </p>
      <ErrorNote message={errorMessage(draft.error)} />
      <table>
        <caption>Versions</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Status</th>
            <th scope="col">Parent</th>
            <th scope="col" className="num">
              Examples
            </th>
            <th scope="col" className="num">
              Canaries
            </th>
            <th scope="col">Runs</th>
            <th scope="col">Content hash</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.id}>
              <td>
                <Link href={`/versions/${v.id}`}>Version {v.number}</Link>
                {v.note ? <div className="muted">{v.note}</div> : null}
                <div className="muted">{formatDate(v.createdAt)}</div>
              </td>
              <td>
                <StatusBadge status={v.status} />
              </td>
              <td>{v.parent ? <Link href={`/versions/${v.parent.id}`}>v{v.parent.number}</Link> : "—"}</td>
              <td className="num">{formatInt(v.exampleCount)}</td>
              <td className="num">{formatInt(v.canaryCount)}</td>
              <td>
                {v.runs.length === 0 ? <span className="muted">none</span> : null}
                {v.runs.map((r) => (
                  <div key={r.id}>
                    <Link href={`/runs/${r.id}`}>{r.name}</Link> <StatusBadge status={r.status} />
                  </div>
                ))}
              </td>
              <td className="hash" title={v.contentHash ?? undefined}>
                {shortHash(v.contentHash)}
              </td>
              <td>
                {v.status === "RELEASED" && can(me, "createDraftVersion") ? (
                  <button type="button" onClick={() => onCreateDraft(v.id, v.number)} disabled={draft.fetching}>
                    New draft from v{v.number}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
