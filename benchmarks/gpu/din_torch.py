#!/usr/bin/env python3
"""The PyTorch (eager) peer of the device check: the same DIN as din4j's GpuBench model benchmark — embedding 16
(item and category tables; the candidate and each behaviour are item ⊕ category = 32 wide), the local activation
unit on [q, k, q − k, q ⊙ k] → 80 → 40 → 1 with Dice, weighted-sum pooling without softmax, MLP 200 → 80 → 1 with
Dice, BCE — trained with Adam (sparse rows for embeddings through SparseAdam), timed with CUDA events.

    python3 din_torch.py --out torch-din.json [--batches 4096,65536] [--histories 50,100] [--tf32]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Dice(nn.Module):
    """DIN eq. 9 with batch statistics over the given rows (and running statistics in eval)."""

    def __init__(self, c, eps=1e-8, momentum=0.01):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(c))
        self.bn = nn.BatchNorm1d(c, eps=eps, momentum=momentum, affine=False)

    def forward(self, x):
        p = torch.sigmoid(self.bn(x))
        return p * x + (1 - p) * self.alpha * x


class Din(nn.Module):
    def __init__(self, n_user, n_item, n_cate, e=16, att=(80, 40), mlp=(200, 80)):
        super().__init__()
        self.user = nn.Embedding(n_user, e, sparse=True)
        self.item = nn.Embedding(n_item, e, sparse=True)
        self.cate = nn.Embedding(n_cate, e, sparse=True)
        d = 2 * e
        layers, w = [], 4 * d
        for h in att:
            layers += [nn.Linear(w, h), Dice(h)]
            w = h
        self.att = nn.Sequential(*layers)
        self.att_out = nn.Linear(w, 1)
        layers, w = [], e + d + d
        for h in mlp:
            layers += [nn.Linear(w, h), Dice(h)]
            w = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(w, 1)

    def forward(self, user, item, cate, hist_item, hist_cate, lengths):
        b, t = hist_item.shape
        q = torch.cat([self.item(item), self.cate(cate)], -1)                     # [B, D]
        k = torch.cat([self.item(hist_item), self.cate(hist_cate)], -1)           # [B, T, D]
        mask = torch.arange(t, device=k.device)[None, :] < lengths[:, None]       # [B, T]
        qe = q[:, None, :].expand_as(k)
        x = torch.cat([qe, k, qe - k, qe * k], -1)                                # [B, T, 4D]
        valid = x[mask]                                                           # Dice statistics over valid rows
        s = torch.zeros(b, t, device=k.device, dtype=k.dtype)
        s[mask] = self.att_out(self.att(valid)).squeeze(-1)
        pooled = (s[..., None] * k).sum(1)                                         # DIN eq. 3
        z = torch.cat([self.user(user), q, pooled], -1)
        return self.out(self.mlp(z)).squeeze(-1)


def batch(b, t, vocab, dev, g):
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[0] = t
    return [x.to(dev) for x in (
        torch.randint(0, vocab[0], (b,), generator=g), torch.randint(0, vocab[1], (b,), generator=g),
        torch.randint(0, vocab[2], (b,), generator=g), torch.randint(0, vocab[1], (b, t), generator=g),
        torch.randint(0, vocab[2], (b, t), generator=g), lengths, torch.randint(0, 2, (b,), generator=g).float())]


def timed(fn, reps):
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="torch-din.json")
    ap.add_argument("--batches", default="4096,65536")
    ap.add_argument("--histories", default="50,100")
    ap.add_argument("--tf32", action="store_true")
    ap.add_argument("--budget-s", type=float, default=80)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    dev = torch.device("cuda")
    vocab = (200_000, 1_000_000, 1_000)
    deadline = time.time() + a.budget_s
    rows = []
    for t in [int(x) for x in a.histories.split(",")]:
        for b in [int(x) for x in a.batches.split(",")]:
            if time.time() > deadline:
                break
            torch.manual_seed(1)
            g = torch.Generator().manual_seed(b + t)
            model = Din(*vocab).to(dev)
            sparse = [model.user.weight, model.item.weight, model.cate.weight]
            dense = [p for p in model.parameters() if all(p is not s for s in sparse)]
            opt_s, opt_d = torch.optim.SparseAdam(sparse, lr=1e-3), torch.optim.Adam(dense, lr=1e-3)
            data = [batch(b, t, vocab, dev, g) for _ in range(3)]
            it = [0]

            def train():
                *x, y = data[it[0] % 3]
                it[0] += 1
                opt_s.zero_grad()
                opt_d.zero_grad()
                loss = F.binary_cross_entropy_with_logits(model(*x), y)
                loss.backward()
                opt_s.step()
                opt_d.step()

            def infer():
                *x, _ = data[it[0] % 3]
                it[0] += 1
                with torch.no_grad():
                    model(*x)

            reps = 20 if b <= 4096 else 5
            model.train()
            ms_train = timed(train, reps)
            model.eval()
            ms_infer = timed(infer, reps)
            row = {"model": "DIN (PyTorch eager)", "batch": b, "history": t,
                   "trainSamplesPerS": b / (ms_train / 1e3), "inferSamplesPerS": b / (ms_infer / 1e3)}
            rows.append(row)
            print(f"torch DIN B={b} T={t}: train {row['trainSamplesPerS']:,.0f} samples/s, "
                  f"inference {row['inferSamplesPerS']:,.0f} samples/s")
            del model, opt_s, opt_d, data
            torch.cuda.empty_cache()
    doc = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "tf32": a.tf32, "models": rows}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
