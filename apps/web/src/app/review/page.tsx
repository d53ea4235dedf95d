"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ErrorNote, Loading, RequireSession } from "../../components/Shell";
import { quadrantStyle } from "../../data-map/palette";
import { formatDate, formatNumber, humanize, summarizeJson } from "../../lib/format";
import { can, errorMessage, type Me } from "../../lib/session";

const REVIEW_QUEUE = /* GraphQL */ `
  query ReviewQueue($first: Int) {
    reviewQueue(first: $first) {
      id
      action
      weight
      status
      policy
      evidence
      createdAt
      canReview
      proposedBy { id name }
      example { id key text isCanary }
      version { id number dataset { id name } }
      run { id name }
    }
  }
`;

const REVIEW = /* GraphQL */ `
  mutation ReviewIntervention($input: ReviewInput!) {
    reviewIntervention(input: $input) {
      id
      status
      reviews { id decision reason reviewer { id name } createdAt }
    }
  }
`;

const REVIEW_BATCH = /* GraphQL */ `
  mutation ReviewInterventions($input: ReviewBatchInput!) {
    reviewInterventions(input: $input) {
      id
      status
    }
  }
`;
/** Interventions per reviewInterventions call (the API's limit). */
const BATCH = 500;

interface QueueItem {
  id: string;
  action: string;
  weight: number;
  status: string;
  policy: unknown;
  evidence: unknown;
  createdAt: string;
  canReview: boolean;
  proposedBy: { id: string; name: string };
  example: { id: string; key: string; text: string | null; isCanary: boolean };
  version: { id: string; number: number; dataset: { id: string; name: string } };
  run: { id: string; name: string } | null;
}

const PAGE = 50;

export default function ReviewPage() {
  return <RequireSession>{(me) => <ReviewQueue me={me} />}</RequireSession>;
}

function ReviewQueue({ me }: { me: Me }) {
  const [first, setFirst] = useState(PAGE);
  const [result] = useQuery<{ reviewQueue: QueueItem[] }>({ query: REVIEW_QUEUE, variables: { first }, requestPolicy: "cache-and-network" });
  const [lastDecision, setLastDecision] = useState<string | null>(null);
  const items = result.data?.reviewQueue ?? [];
  const mayReview = can(me, "reviewIntervention");

  return (
    <div>
      <h1>Review queue</h1>
      <p className="muted">
        Proposed interventions, oldest first. Each needs a decision and a reason from someone other than its proposer (four eyes).
        {mayReview ? "" : ` Your role (${me.role}) cannot review interventions.`}
      </p>
      {lastDecision ? (
        <p className="success" role="status">
          {lastDecision}
        </p>
      ) : null}
      <ErrorNote message={errorMessage(result.error)} />
      {result.fetching && !result.data ? <Loading what="the review queue" /> : null}
      {result.data && items.length === 0 ? <p>Nothing to review.</p> : null}
      {items.length > 0 ? (
        <p>
          <strong data-testid="queue-count">{items.length}</strong> proposed intervention{items.length === 1 ? "" : "s"}
          {items.length >= first ? " shown" : ""}
        </p>
      ) : null}
      {mayReview ? <ReviewAll items={items.filter((i) => i.canReview)} onDecided={setLastDecision} /> : null}
      <ol style={{ listStyle: "none", padding: 0 }}>
        {items.map((item) => (
          <li key={item.id}>
            <ReviewItem item={item} me={me} onDecided={setLastDecision} />
          </li>
        ))}
      </ol>
      {items.length >= first ? (
        <button type="button" onClick={() => setFirst((n) => n + PAGE)}>
          Show more
        </button>
      ) : null}
    </div>
  );
}

/**
 * One decision and one reason for every shown intervention the viewer may review (a policy's
 * proposals come by the hundred): sent as reviewInterventions calls of up to 500, each all or
 * nothing, each intervention still reviewed and audited on its own.
 */
function ReviewAll({ items, onDecided }: { items: QueueItem[]; onDecided: (message: string) => void }) {
  const [decision, setDecision] = useState<Decision>("");
  const [reason, setReason] = useState("");
  const [result, reviewBatch] = useMutation(REVIEW_BATCH);
  if (items.length < 2) return null;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!decision || !reason.trim()) return;
    const ids = items.map((i) => i.id);
    let done = 0;
    for (let from = 0; from < ids.length; from += BATCH) {
      const r = await reviewBatch({ input: { interventionIds: ids.slice(from, from + BATCH), decision, reason: reason.trim() } });
      if (r.error) break;
      done += Math.min(BATCH, ids.length - from);
    }
    if (done) {
      onDecided(`${decision === "APPROVE" ? "Approved" : "Rejected"} ${formatNumber(done)} interventions at once.`);
      setDecision("");
      setReason("");
    }
  }

  return (
    <details className="card">
      <summary>
        Review all {formatNumber(items.length)} shown that you may review, with one decision and one reason
      </summary>
      <form onSubmit={onSubmit} aria-label="Review all shown" style={{ marginTop: "0.75rem" }}>
        <DecisionFields
          idSuffix="all"
          legend={`Decision for all ${formatNumber(items.length)}`}
          reasonLabel="Reason for all (required)"
          decision={decision}
          onDecision={setDecision}
          reason={reason}
          onReason={setReason}
        />
        <ErrorNote message={errorMessage(result.error)} />
        <button type="submit" className="primary" disabled={result.fetching}>
          Submit {formatNumber(items.length)} reviews
        </button>
      </form>
    </details>
  );
}

type Decision = "APPROVE" | "REJECT" | "";

/** A review's decision (radio buttons, Approve required) and its required reason. */
function DecisionFields(props: {
  idSuffix: string;
  legend: string;
  reasonLabel: string;
  decision: Decision;
  onDecision: (d: Decision) => void;
  reason: string;
  onReason: (r: string) => void;
}) {
  const { idSuffix, decision, onDecision } = props;
  return (
    <>
      <fieldset>
        <legend>{props.legend}</legend>
        <label className="field-inline">
          <input type="radio" name={`decision-${idSuffix}`} value="APPROVE" required checked={decision === "APPROVE"} onChange={() => onDecision("APPROVE")} /> Approve
        </label>
        <label className="field-inline">
          <input type="radio" name={`decision-${idSuffix}`} value="REJECT" checked={decision === "REJECT"} onChange={() => onDecision("REJECT")} /> Reject
        </label>
      </fieldset>
      <div className="field">
        <label htmlFor={`reason-${idSuffix}`}>{props.reasonLabel}</label>
        <input id={`reason-${idSuffix}`} type="text" required value={props.reason} onChange={(e) => props.onReason(e.target.value)} />
      </div>
    </>
  );
}

const SCORE_KEYS = ["difficulty", "memorization", "forgetEvents", "confidence", "variability", "correctness", "neverLearned"] as const;
const HIDDEN_KEYS = new Set<string>(["runId", "quadrant", "reason", "thresholds", ...SCORE_KEYS]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The evidence of a proposal (its shape comes from the policy engine): scores first, the rest folded. */
function Evidence({ evidence }: { evidence: unknown }) {
  if (!isRecord(evidence)) return <span className="muted">{summarizeJson(evidence)}</span>;
  const quadrant = typeof evidence.quadrant === "string" ? evidence.quadrant : null;
  const thresholds = isRecord(evidence.thresholds) ? evidence.thresholds : null;
  const others = Object.entries(evidence).filter(([k]) => !HIDDEN_KEYS.has(k));
  return (
    <div className="stack">
      {typeof evidence.reason === "string" && evidence.reason ? (
        <p>
          Proposer&apos;s reason: <q>{evidence.reason}</q>
        </p>
      ) : null}
      <dl className="facts">
        {quadrant ? (
          <>
            <dt>Quadrant</dt>
            <dd>
              <span className="swatch" style={{ background: quadrantStyle(quadrant).color }} aria-hidden="true" /> {quadrantStyle(quadrant).label}
            </dd>
          </>
        ) : null}
        {SCORE_KEYS.filter((k) => evidence[k] !== undefined).map((k) => (
          <div key={k} style={{ display: "contents" }}>
            <dt>{humanize(k.replace(/([a-z])([A-Z])/g, "$1_$2"))}</dt>
            <dd>{typeof evidence[k] === "number" ? formatNumber(evidence[k] as number, 4) : String(evidence[k])}</dd>
          </div>
        ))}
        {thresholds ? (
          <>
            <dt>Thresholds</dt>
            <dd>
              θd = {formatNumber(thresholds.difficulty as number, 3)}, θm = {formatNumber(thresholds.memorization as number, 3)}
              {typeof thresholds.source === "string" ? ` (${thresholds.source})` : ""}
            </dd>
          </>
        ) : null}
      </dl>
      {others.length ? (
        <details>
          <summary>More evidence</summary>
          <dl className="facts">
            {others.map(([key, value]) => (
              <div key={key} style={{ display: "contents" }}>
                <dt>{key}</dt>
                <dd className="mono">{typeof value === "number" ? formatNumber(value, 4) : summarizeJson(value, 160)}</dd>
              </div>
            ))}
          </dl>
        </details>
      ) : null}
    </div>
  );
}

function ReviewItem({ item, me, onDecided }: { item: QueueItem; me: Me; onDecided: (message: string) => void }) {
  const [decision, setDecision] = useState<Decision>("");
  const [reason, setReason] = useState("");
  const [result, review] = useMutation(REVIEW);
  const mine = item.proposedBy.id === me.id;
  const headingId = `item-${item.id}`;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!decision || !reason.trim()) return;
    const r = await review({ input: { interventionId: item.id, decision, reason: reason.trim() } });
    if (!r.error) onDecided(`${decision === "APPROVE" ? "Approved" : "Rejected"}: ${humanize(item.action)} of ${item.example.key}.`);
  }

  return (
    <article className="card queue-item" aria-labelledby={headingId}>
      <h2 id={headingId} style={{ marginTop: 0 }}>
        {item.action === "PRUNE" ? "Prune" : `Down-weight to ${formatNumber(item.weight)}`} <code>{item.example.key}</code>
        {item.example.isCanary ? <span className="badge badge-failed"> canary</span> : null}
      </h2>
      <p style={{ whiteSpace: "pre-wrap" }}>{item.example.text ?? <span className="muted">(canary text redacted for your role)</span>}</p>
      <div className="grid-2">
        <div>
          <h3>Evidence</h3>
          <Evidence evidence={item.evidence} />
        </div>
        <div>
          <h3>Context</h3>
          <dl className="facts">
            <dt>Version</dt>
            <dd>
              <Link href={`/versions/${item.version.id}`}>
                {item.version.dataset.name} v{item.version.number}
              </Link>
            </dd>
            <dt>Run</dt>
            <dd>
              {item.run ? (
                <>
                  <Link href={`/runs/${item.run.id}`}>{item.run.name}</Link> ·{" "}
                  <Link href={`/runs/${item.run.id}/examples/${item.example.id}`}>trajectory</Link>
                </>
              ) : (
                "—"
              )}
            </dd>
            <dt>Policy</dt>
            <dd className="mono">{summarizeJson(item.policy, 140)}</dd>
            <dt>Proposed by</dt>
            <dd>
              {item.proposedBy.name}
              {mine ? " (you)" : ""}, {formatDate(item.createdAt)}
            </dd>
          </dl>
        </div>
      </div>
      {item.canReview ? (
        <form onSubmit={onSubmit} aria-label={`Review ${item.example.key}`} style={{ marginTop: "0.75rem" }}>
          <DecisionFields
            idSuffix={item.id}
            legend="Decision"
            reasonLabel="Reason (required)"
            decision={decision}
            onDecision={setDecision}
            reason={reason}
            onReason={setReason}
          />
          <ErrorNote message={errorMessage(result.error)} />
          <button type="submit" className="primary" disabled={result.fetching}>
            Submit review
          </button>
        </form>
      ) : mine ? (
        <p className="four-eyes">You proposed this — another reviewer must decide.</p>
      ) : (
        <p className="muted">
          Your role ({me.role}) cannot review interventions.
        </p>
      )}
    </article>
  );
}
