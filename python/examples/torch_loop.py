#!/usr/bin/env python3
"""A PyTorch training loop that sends per-example dynamics to GenDataCarto and reads the scores
back as a DataFrame keyed by the example ids. The data (flipped labels included) and the dataset
setup are numpy_loop.py's; the model is a small MLP. Needs torch and pandas.

    python3 python/examples/torch_loop.py --api http://127.0.0.1:4000/graphql --token gdc_… [--version ID]
"""
import argparse
import os

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from numpy_loop import auc, create_version, gdc, make_data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", default=os.environ.get("GDC_API_URL"))
    parser.add_argument("--token", default=os.environ.get("GDC_TOKEN"))
    parser.add_argument("--version", help="a dataset version whose examples have the ids 0..n-1")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    x, y, flipped = make_data(n=300, d=300)
    client = gdc.Client(args.api, args.token)
    run = client.create_run(args.version or create_version(client, len(x)), epochs=args.epochs)

    torch.manual_seed(0)
    ids = torch.arange(len(x))  # the example ids, as given when the examples were imported
    loader = DataLoader(TensorDataset(ids, torch.tensor(x, dtype=torch.float32), torch.tensor(y)), batch_size=20, shuffle=True)
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    for epoch in range(args.epochs):
        for keys, inputs, labels in loader:
            logits = model(inputs)
            loss = F.cross_entropy(logits, labels, reduction="none")  # per example, before the update
            run.log(epoch, keys, loss, logits.argmax(1) == labels)    # tensors are converted (keys -> "17")
            optimizer.zero_grad()
            loss.mean().backward()
            optimizer.step()
    run.finish()                      # sends the rest, scores on the server, waits
    df = run.scores(key_type=int)     # pandas DataFrame indexed by the example ids
    print(df.sort_values("memorization", ascending=False).head(10))
    memorization = df["memorization"].reindex(range(len(x))).to_numpy()
    print(f"run {run.id}: flipped labels rank at ROC-AUC {auc(memorization, flipped):.3f} by memorization")


if __name__ == "__main__":
    main()
