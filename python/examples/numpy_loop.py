#!/usr/bin/env python3
"""The PyTorch loop of torch_loop.py, in numpy: logistic regression trained by minibatch SGD on
a synthetic dataset where 10 % of the labels are flipped. Each minibatch's per-example loss and
correctness (from the forward pass, before the update) go to GenDataCarto; the scores come back
keyed by the example ids, and the flipped labels rank at the top of difficulty and memorization.

    python3 python/examples/numpy_loop.py --api http://127.0.0.1:4000/graphql --token gdc_… [--version ID]

Without --version it creates a dataset whose examples have the ids 0..n-1 and releases version 1.
CI runs it against a real API (apps/api/test/python-client.int.test.ts).
"""
import argparse
import json
import os
import sys
import uuid

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gendatacarto as gdc  # noqa: E402


def make_data(n=300, d=300, flip=0.1, seed=0):
    """Two Gaussian classes in d dimensions (d ≥ n: a linear model can fit, i.e. memorize, any label)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    direction = rng.normal(size=d)
    x = rng.normal(size=(n, d)) + np.outer(2 * y - 1, direction / np.linalg.norm(direction) * 3)
    flipped = rng.random(n) < flip
    return x, np.where(flipped, 1 - y, y), flipped


def train(run, x, y, epochs, lr=0.2, batch=20, seed=0):
    rng = np.random.default_rng(seed)
    w, b = np.zeros(x.shape[1]), 0.0
    for epoch in range(epochs):
        order = rng.permutation(len(x))  # a DataLoader with shuffle=True
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            p = 1 / (1 + np.exp(-(x[idx] @ w + b)))
            loss = -(y[idx] * np.log(p + 1e-12) + (1 - y[idx]) * np.log(1 - p + 1e-12))  # per example, nats
            run.log(epoch, idx, loss, (p > 0.5) == y[idx])  # keys: the example ids (numpy ints here)
            grad = p - y[idx]
            w -= lr * x[idx].T @ grad / len(idx)
            b -= lr * grad.mean()


def create_version(client, n):
    """A dataset whose examples have the ids "0".."n-1", version 1 released (the run trains on it)."""
    tag = uuid.uuid4().hex[:8]
    dataset = client.graphql("mutation ($name: String!) { createDataset(input: { name: $name }) { versions { id } } }",
                             {"name": f"numpy-loop-{tag}"}, retry=False)["createDataset"]
    version_id = dataset["versions"][0]["id"]
    examples = [{"id": str(i), "text": f"synthetic point {i} ({tag})"} for i in range(n)]
    client.graphql("mutation ($v: ID!, $e: [ExampleInput!]!) { importExamples(input: { versionId: $v, examples: $e }) { created } }",
                   {"v": version_id, "e": examples})
    client.graphql("mutation ($v: ID!) { releaseVersion(input: {versionId: $v}) { id } }", {"v": version_id}, retry=False)
    return version_id


def auc(score, positive):
    """ROC-AUC of a score for a boolean label (rank statistic, no ties expected)."""
    ranks = np.argsort(np.argsort(score))
    p, q = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - p * (p - 1) / 2) / (p * q))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default=os.environ.get("GDC_API_URL"))
    parser.add_argument("--token", default=os.environ.get("GDC_TOKEN"))
    parser.add_argument("--version", help="a dataset version whose examples have the ids 0..n-1")
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print a JSON summary (for tests)")
    args = parser.parse_args()

    client = gdc.Client(args.api, args.token)
    x, y, flipped = make_data(n=args.examples, d=args.examples)
    run = client.create_run(args.version or create_version(client, args.examples), epochs=args.epochs, framework="numpy")
    train(run, x, y, args.epochs)
    run.finish()  # flushes, scores on the server, waits
    scores = run.scores(key_type=int, as_dataframe=False)
    by_key = {row["key"]: row for row in scores}
    ids = np.arange(args.examples)
    summary = {
        "runId": run.id,
        "examples": len(scores),
        "flipped": int(flipped.sum()),
        "aucDifficulty": auc(np.array([by_key[i]["difficulty"] for i in ids]), flipped),
        "aucMemorization": auc(np.array([by_key[i]["memorization"] for i in ids]), flipped),
        "requests": run.sent["requests"],
    }
    print(json.dumps(summary) if args.json else
          f"run {run.id}: {len(scores)} examples scored; flipped labels rank at ROC-AUC "
          f"{summary['aucDifficulty']:.3f} by difficulty, {summary['aucMemorization']:.3f} by memorization")


if __name__ == "__main__":
    main()
