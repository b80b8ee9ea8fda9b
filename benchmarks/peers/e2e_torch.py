#!/usr/bin/python3
"""Trains din4j's DIN in PyTorch from a canonical CSV, end to end, the way a PyTorch user would write it.

The model is din4j_torch.Din4jTorch (the module the step-level comparison uses), built from the architecture of a
din4j model directory (model.json, the tensors' shapes) and initialised afresh as din4j initialises it (embeddings
uniform in ±0.05, Linear weights LeCun uniform, biases 0, Dice alpha 0, running statistics 0 and 1). The data path
is plain PyTorch: a map-style Dataset over the CSV's rows (ids mapped to table rows once, on loading, with the same
rule as din4j: row 0 for ids not seen in training), a DataLoader that shuffles and pads each batch to its longest
history in a collate_fn, worker processes to overlap loading with the step, SparseAdam on the tables (lazy, as
din4j's sparse Adam) and Adam on the rest, loss as din4j's (mean BCE).

    e2e_torch.py --arch MODEL_DIR --train train.csv [--valid test.csv] [--epochs 3] [--batch-size 256]
                 [--workers 1] [--threads 2] [--seed 1]

Prints one JSON object per line: {"event": "loaded", ...}, then per epoch {"event": "epoch", "epoch", "seconds",
"samples_per_s", "loss", "valid_auc"}. An epoch's seconds are its training loop (loading, collating, steps), not
the validation after it, as din4j's epoch line counts them. benchmarks/peers/e2e.py runs it beside `din4j train`.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from din4j_torch import Din4jTorch, task_loss  # noqa: E402


class Vocab:
    """Raw id → table row; row 0 is the out-of-vocabulary row (din4j's rule with --min-count 1)."""

    def __init__(self):
        self.rows = {}

    def add(self, raw):
        if raw and raw not in self.rows:
            self.rows[raw] = len(self.rows) + 1

    def get(self, raw):
        return self.rows.get(raw, 0)

    def __len__(self):
        return len(self.rows) + 1


class CsvRows(Dataset):
    """The rows of a canonical CSV in memory: sparse ids as int64 columns, each history as its own int64 array."""

    def __init__(self, path, schema, vocabs):
        sparse = [f["name"] for f in schema["sparse"]]
        seqs = schema["sequences"]
        task = schema["tasks"][0]
        cols = {f: [] for f in sparse}
        hists = [[] for _ in seqs]
        labels = []
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                labels.append(float(row[task]))
                for name in sparse:
                    cols[name].append(vocabs[name].get(row[name]))
                for s, spec in enumerate(seqs):
                    v = vocabs[spec["table"]]
                    cell = row[spec["name"]]
                    hists[s].append(np.array([v.get(x) for x in cell.split()] if cell else [], dtype=np.int64))
        self.sparse = [torch.tensor(cols[f], dtype=torch.long) for f in sparse]
        self.hists = hists
        self.labels = torch.tensor(labels, dtype=torch.float32)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return [x[i] for x in self.sparse], [torch.from_numpy(h[i]) for h in self.hists], self.labels[i]


def pad_collate(items):
    """A batch padded to its longest history: the model's inputs (sparse ids, histories, lengths) and labels."""
    sparse = [torch.stack([it[0][f] for it in items]) for f in range(len(items[0][0]))]
    lengths = torch.tensor([len(it[1][0]) if it[1] else 0 for it in items], dtype=torch.long)
    seqs = []
    for s in range(len(items[0][1])):
        seq = [it[1][s] for it in items]
        if int(lengths.max()) == 0:
            seqs.append(torch.zeros(len(items), 0, dtype=torch.long))
        else:
            seqs.append(pad_sequence(seq, batch_first=True))
    labels = torch.stack([it[2] for it in items]).unsqueeze(1)
    return sparse + seqs + [lengths], labels


def build_vocabs(path, schema):
    """One pass over the training file, as din4j train makes: every id of a field or of a history in its table."""
    vocabs = {f["name"]: Vocab() for f in schema["sparse"]}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for name in vocabs:
                vocabs[name].add(row[name])
            for spec in schema["sequences"]:
                v = vocabs[spec["table"]]
                for x in row[spec["name"]].split():
                    v.add(x)
    return vocabs


def reinitialise(net, vocabs, seed):
    """Fresh parameters with din4j's initialisation, the tables sized for this file's vocabularies."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name in list(net.p):
            p = net.p[name]
            key = name.replace(".", "__")
            if name.startswith("emb."):
                rows = len(vocabs[name[4:]])
                t = (torch.rand(rows, p.shape[1], generator=g) * 2 - 1) * 0.05
                fresh = torch.nn.Parameter(t)
                setattr(net, key, fresh)
                net.p[name] = fresh
            elif name.endswith(".weight"):
                bound = math.sqrt(3.0 / p.shape[1])
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)
            elif name.endswith(".bias") or name.endswith(".alpha") or name.endswith(".running_mean"):
                p.zero_()
            elif name.endswith(".running_var"):
                p.fill_(1.0)
            else:
                raise SystemExit(f"e2e_torch.py: no initialisation rule for tensor {name}")


def auc(scores, labels):
    """Area under the ROC curve by ranks (ties share their mean rank)."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    y = labels[order]
    pos = y.sum()
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def evaluate(net, loader):
    net.eval()
    scores, labels = [], []
    with torch.inference_mode():
        for ins, y in loader:
            scores.append(net(*ins)[:, 0].numpy())
            labels.append(y[:, 0].numpy())
    net.train()
    return auc(np.concatenate(scores), np.concatenate(labels))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", required=True, help="din4j model directory whose architecture is trained (weights are reset)")
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--workers", type=int, default=1, help="DataLoader worker processes (0: load on the training thread)")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    t0 = time.perf_counter()
    net = Din4jTorch(a.arch, sparse_embeddings=True)
    if net.cfg["type"] != "din" or len(net.tasks) != 1:
        raise SystemExit("e2e_torch.py: --arch must be a single-task din model directory")
    vocabs = build_vocabs(a.train, net.schema)
    reinitialise(net, vocabs, a.seed)
    net.train()
    train = CsvRows(a.train, net.schema, vocabs)
    valid = CsvRows(a.valid, net.schema, vocabs) if a.valid else None
    print(json.dumps({"event": "loaded", "rows": len(train), "seconds": time.perf_counter() - t0,
                      "tables": {k: len(v) for k, v in vocabs.items()}, "threads": torch.get_num_threads()}), flush=True)

    loader = DataLoader(train, batch_size=a.batch_size, shuffle=True, num_workers=a.workers, collate_fn=pad_collate,
                        persistent_workers=a.workers > 0, generator=torch.Generator().manual_seed(a.seed))
    valid_loader = None if valid is None else DataLoader(valid, batch_size=a.batch_size, collate_fn=pad_collate,
                                                         num_workers=a.workers, persistent_workers=a.workers > 0)
    emb = [net.p[n] for n in net.embedding_names()]
    dense = [p for n, p in net.p.items() if isinstance(p, torch.nn.Parameter) and not n.startswith("emb.")]
    opts = (torch.optim.SparseAdam(emb, lr=a.lr), torch.optim.Adam(dense, lr=a.lr))
    for epoch in range(a.epochs):
        start = time.perf_counter()
        n = 0
        loss_sum = 0.0
        steps = 0
        for ins, y in loader:
            for o in opts:
                o.zero_grad(set_to_none=True)
            total, _ = task_loss(net(*ins), y, torch.ones_like(y), [1.0])
            total.backward()
            for o in opts:
                o.step()
            n += len(y)
            loss_sum += float(total)
            steps += 1
        sec = time.perf_counter() - start
        v = evaluate(net, valid_loader) if valid_loader is not None else float("nan")
        print(json.dumps({"event": "epoch", "epoch": epoch + 1, "seconds": sec, "samples_per_s": n / sec,
                          "loss": loss_sum / max(1, steps), "valid_auc": v}), flush=True)


if __name__ == "__main__":
    main()
