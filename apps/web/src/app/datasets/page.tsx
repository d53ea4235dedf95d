"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote, Loading, RequireSession, StatusBadge, usePageTitle } from "../../components/Shell";
import { can, errorMessage, type Me } from "../../lib/session";
import { formatDate, formatInt } from "../../lib/format";
import { graphql } from "../../lib/graphql";

const DATASETS = graphql(`
  query Datasets {
    datasets {
      id
      name
      description
      createdAt
      versions { id number status exampleCount contentHash }
    }
  }
`);

const CREATE_DATASET = graphql(`
  mutation CreateDataset($input: CreateDatasetInput!) {
    createDataset(input: $input) { id name versions { id number status } }
  }
`);

export default function DatasetsPage() {
  usePageTitle("Datasets");
  return <RequireSession>{(me) => <Datasets me={me} />}</RequireSession>;
}

function Datasets({ me }: { me: Me }) {
  const [result] = useQuery({ query: DATASETS });
  const { data, fetching, error } = result;
  return (
    <div>
      <h1>Datasets</h1>
      <ErrorNote message={errorMessage(error)} />
      {fetching && !data ? <Loading what="datasets" /> : null}
      {data && data.datasets.length === 0 ? <p className="muted">No datasets yet.</p> : null}
      {data && data.datasets.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Dataset</th>
              <th scope="col">Versions</th>
              <th scope="col" className="num">
                Examples (latest)
              </th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {data.datasets.map((d) => {
              const latest = [...d.versions].sort((a, b) => b.number - a.number)[0];
              return (
                <tr key={d.id}>
                  <td>
                    <Link href={`/datasets/${d.id}`}>{d.name}</Link>
                    {d.description ? <div className="muted">{d.description}</div> : null}
                  </td>
                  <td>
                    {d.versions.map((v) => (
                      <span key={v.id} style={{ marginRight: "0.6rem" }}>
                        <Link href={`/versions/${v.id}`}>v{v.number}</Link> <StatusBadge status={v.status} />
                      </span>
                    ))}
                  </td>
                  <td className="num">{formatInt(latest?.exampleCount)}</td>
                  <td>{formatDate(d.createdAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {can(me, "createDataset") ? <CreateDatasetForm /> : null}
    </div>
  );
}

function CreateDatasetForm() {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [result, createDataset] = useMutation(CREATE_DATASET);
  const [created, setCreated] = useState<{ name: string; versionId: string | null; number: number } | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const r = await createDataset({ input: { name, description } });
    if (!r.error) {
      const draft = r.data?.createDataset.versions[0];
      setCreated({ name, versionId: draft?.id ?? null, number: draft?.number ?? 1 });
      setName("");
      setDescription("");
    }
  }

  return (
    <section className="card" style={{ marginTop: "1.5rem" }} aria-labelledby="create-dataset">
      <h2 id="create-dataset">New dataset</h2>
      <form onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor="dataset-name">Name</label>
          <input id="dataset-name" type="text" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="dataset-description">Description</label>
          <input id="dataset-description" type="text" value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <ErrorNote message={errorMessage(result.error)} />
        {created && !result.error ? (
          <p className="success" data-testid="dataset-created">
            Created dataset “{created.name}” with an empty draft,{" "}
            {created.versionId ? <Link href={`/versions/${created.versionId}`}>version {created.number}</Link> : `version ${created.number}`}: import examples
            into it (<code>gdc import-examples &lt;file&gt; --version {created.versionId ?? "<id>"}</code>), then release it.
          </p>
        ) : null}
        <p className="hint">Creating a dataset also creates its first version, an empty draft numbered 1.</p>
        <button type="submit" className="primary" disabled={result.fetching}>
          Create dataset
        </button>
      </form>
    </section>
  );
}
