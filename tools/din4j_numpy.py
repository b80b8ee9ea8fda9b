#!/usr/bin/env python3
"""Score with a din4j model directory using numpy only.

Loads model.json, vocabularies.bin (format 2; format 1 kept the ids in model.json) and weights.safetensors (f32 little-endian, [out, in] Linear layout) and reproduces the
inference forward pass of every model family (din, base, ple, cgc, mmoe, shared-bottom, din-ple) exactly as
docs/model-format.md describes it.

Usage:
  din4j_numpy.py MODEL_DIR batch.json   [--out predictions.json]
  din4j_numpy.py MODEL_DIR data.csv     [--out predictions.json] [--max-history N]

A JSON batch is {"rows": [{column: value, ...}, ...]}: sparse columns hold a raw id (a string, mapped through the
model's vocabulary; unknown ids map to row 0) or, with "row_ids": true at the top level, the table row itself;
sequence columns hold a list of ids (oldest first); dense columns a number. A CSV file is din4j's canonical
sequence CSV (docs/data-format.md): columns by name, behaviour ids separated by whitespace.
The output is {"tasks": [...], "predictions": [[p_task0, p_task1, ...] per row]}.
"""
import csv
import json
import struct
import sys

import numpy as np

DICE_EPS = 1e-8


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] == "F32", f"{path}: tensor {name} is {spec['dtype']}"
        b, e = spec["data_offsets"]
        tensors[name] = np.frombuffer(data, dtype="<f4", count=(e - b) // 4, offset=base + b).reshape(spec["shape"]).astype(np.float64)
    return tensors


def load_vocabularies(path):
    """vocabularies.bin (docs/model-format.md): {field: (tokens, counts)}, little-endian, in schema order."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"DIN4JVOC", f"{path}: not a din4j vocabulary file"
    version, fields = struct.unpack_from("<II", data, 8)
    assert version == 1, f"{path}: vocabulary file version {version}"
    at = 16
    out = {}
    for _ in range(fields):
        (k,) = struct.unpack_from("<I", data, at)
        name = data[at + 4:at + 4 + k].decode("utf-8")
        at += 4 + k
        (n,) = struct.unpack_from("<I", data, at)
        at += 4
        counts = np.frombuffer(data, dtype="<i8", count=n, offset=at)
        at += 8 * n
        tokens = []
        for _ in range(n):
            (k,) = struct.unpack_from("<I", data, at)
            tokens.append(data[at + 4:at + 4 + k].decode("utf-8"))
            at += 4 + k
        out[name] = (tokens, counts)
    assert at == len(data), f"{path}: {len(data) - at} bytes after the last vocabulary"
    return out


def sigmoid(x):
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


class Net:
    def __init__(self, model_dir):
        with open(f"{model_dir}/model.json", encoding="utf-8") as f:
            self.meta = json.load(f)
        assert self.meta["format"] == "din4j-model" and self.meta["format_version"] <= 2
        self.cfg = self.meta["config"]
        self.schema = self.meta["schema"]
        self.w = load_safetensors(f"{model_dir}/weights.safetensors")
        self.vocab = {}
        for name, v in self.meta["vocabularies"].items():
            if "tokens" in v:  # format 1: ids inline in model.json
                self.vocab[name] = {t: i for i, t in enumerate(v["tokens"])}
        if "vocabulary_file" in self.meta:  # format 2: ids in vocabularies.bin
            vf = self.meta["vocabulary_file"]
            for name, (tokens, _counts) in load_vocabularies(f"{model_dir}/{vf['file']}").items():
                self.vocab[name] = {t: i for i, t in enumerate(tokens)}
        self.tasks = self.schema["tasks"]

    # ---- layers -------------------------------------------------------------------------------------------
    def act(self, prefix, x, kind):
        if kind == "relu":
            return np.maximum(x, 0)
        if kind == "sigmoid":
            return sigmoid(x)
        a = self.w[prefix + ".alpha"]
        if kind == "prelu":
            return np.where(x > 0, x, a * x)
        # Dice in inference (DIN eq. 9 with the running statistics).
        mean = self.w[prefix + ".dice.running_mean"]
        var = self.w[prefix + ".dice.running_var"]
        p = sigmoid((x - mean) / np.sqrt(var + DICE_EPS))
        return p * x + (1 - p) * a * x

    def mlp(self, prefix, x, n_hidden, kind, first=0, out=True):
        for j in range(first, first + n_hidden):
            p = f"{prefix}.fc{j}"
            x = self.act(p, x @ self.w[p + ".weight"].T + self.w[p + ".bias"], kind)
        if out:
            x = x @ self.w[prefix + ".out.weight"].T + self.w[prefix + ".out.bias"]
        return x

    # ---- inputs ----------------------------------------------------------------------------------------------
    def row_of(self, field, value, row_ids):
        if row_ids:
            return int(value)
        v = self.vocab.get(field)
        if v is None:
            raise SystemExit(f"model has no vocabulary tokens for {field}; pass row ids (\"row_ids\": true)")
        return v.get(str(value), 0)

    def encode(self, rows, row_ids=False, max_history=None):
        sparse = self.schema["sparse"]
        seqs = self.schema["sequences"]
        dense = self.schema["dense"]
        b = len(rows)
        ids = {f["name"]: np.array([self.row_of(f["name"], r.get(f["name"], ""), row_ids) if r.get(f["name"], "") != ""
                                    else 0 for r in rows], dtype=np.int64) for f in sparse}
        hist = {}
        lengths = np.zeros(b, dtype=np.int64)
        for s in seqs:
            lists = []
            for r in rows:
                h = r.get(s["name"], [])
                if isinstance(h, str):
                    h = h.split()
                if max_history is not None and len(h) > max_history:
                    h = h[len(h) - max_history:]
                lists.append([self.row_of(s["table"], x, row_ids) for x in h])
            hist[s["name"]] = lists
            lengths = np.array([len(x) for x in lists], dtype=np.int64)
        t = max(1, int(lengths.max()) if b else 1)
        padded = {}
        for s in seqs:
            a = np.zeros((b, t), dtype=np.int64)
            for i, x in enumerate(hist[s["name"]]):
                a[i, :len(x)] = x
            padded[s["name"]] = a
        dense_x = np.array([[float(r.get(d, 0) or 0) for d in dense] for r in rows], dtype=np.float64).reshape(b, len(dense))
        return ids, padded, lengths, dense_x

    # ---- forward ---------------------------------------------------------------------------------------------
    def forward(self, ids, hist, lengths, dense_x):
        cfg = self.cfg
        typ = cfg["type"]
        sparse = self.schema["sparse"]
        seqs = self.schema["sequences"]
        emb = {f["name"]: self.w["emb." + f["name"]][ids[f["name"]]] for f in sparse}
        b = len(lengths)
        keys = None
        if seqs:
            t = hist[seqs[0]["name"]].shape[1]
            valid = (np.arange(t)[None, :] < lengths[:, None]).astype(np.float64)  # [B, T]
            keys = np.concatenate([self.w["emb." + s["table"]][hist[s["name"]]] for s in seqs], axis=2) * valid[:, :, None]
        if typ in ("din", "base", "din-ple"):
            tables_of_seqs = [s["table"] for s in seqs]
            parts = [emb[f["name"]] for f in sparse if f["role"] == "user"]
            if seqs:
                q = np.concatenate([emb[n] for n in tables_of_seqs], axis=1)
                parts.append(q)
                if typ == "base":
                    pooled = keys.sum(axis=1)
                else:
                    qb = np.broadcast_to(q[:, None, :], keys.shape)
                    x = np.concatenate([qb, keys, qb - keys, qb * keys], axis=2)
                    x = self.mlp("attention", x, len(cfg["attention_hidden"]), cfg["attention_activation"])[:, :, 0]
                    if cfg["attention_softmax"]:
                        x = np.where(valid > 0, x, -np.inf)
                        x = np.exp(x - x.max(axis=1, keepdims=True))
                        x = np.nan_to_num(x / x.sum(axis=1, keepdims=True))
                    w = x * valid
                    pooled = (w[:, :, None] * keys).sum(axis=1)
                parts.append(pooled)
            parts += [emb[f["name"]] for f in sparse if f["role"] != "user" and f["name"] not in tables_of_seqs]
            if self.schema["dense"]:
                parts.append(dense_x)
            x = np.concatenate(parts, axis=1)
            if typ != "din-ple":
                return sigmoid(self.mlp("mlp", x, len(cfg["mlp_hidden"]), cfg["mlp_activation"]))
        else:
            parts = [emb[f["name"]] for f in sparse]
            if seqs:
                parts.append(keys.sum(axis=1))
            if self.schema["dense"]:
                parts.append(dense_x)
            x = np.concatenate(parts, axis=1)
        return self.multi_task(x)

    def multi_task(self, x):
        cfg = self.cfg
        typ = cfg["type"]
        kind = cfg["expert_activation"]
        eh = cfg["expert_hidden"]
        tasks = self.tasks
        k = len(tasks)
        if typ == "shared-bottom":
            h = self.mlp("bottom", x, len(eh), kind, out=False)
            xs = [h] * k
        else:
            levels = cfg["levels"] if typ in ("ple", "din-ple") else 1
            mk = 0 if typ == "mmoe" else cfg["specific_experts"]
            ms = cfg["shared_experts"]
            xs = [x] * k
            shared = x
            for l in range(levels):
                lp = f"ple.level{l}"
                if l == 0:
                    groups = [(lp + ".experts", 0, k * mk + ms, shared)]
                else:
                    groups = [(f"{lp}.experts.{tasks[t]}", t * mk, mk, xs[t]) for t in range(k) if mk > 0]
                    if ms > 0:
                        groups.append((lp + ".experts.shared", k * mk, ms, shared))
                outs = []
                for name, first, count, inp in groups:
                    wide = self.mlp(name, inp, 1, kind, out=False)  # [B, count*h0]
                    for e in range(count):
                        h = wide[:, e * eh[0]:(e + 1) * eh[0]]
                        if len(eh) > 1:
                            h = self.mlp(f"{lp}.expert{first + e}", h, len(eh) - 1, kind, first=1, out=False)
                        outs.append(h)
                experts = np.stack(outs, axis=1)  # [B, E, H]

                def mix(gname, inp, sel):
                    z = inp @ self.w[gname + ".weight"].T + self.w[gname + ".bias"]
                    z = np.exp(z - z.max(axis=1, keepdims=True))
                    g = z / z.sum(axis=1, keepdims=True)
                    return np.einsum("be,beh->bh", g, experts[:, sel, :])

                nxt = []
                for t in range(k):
                    sel = list(range(t * mk, (t + 1) * mk)) + list(range(k * mk, k * mk + ms))
                    nxt.append(mix(f"{lp}.gate.{tasks[t]}", xs[t], sel))
                if l < levels - 1:
                    shared = mix(lp + ".gate.shared", shared, list(range(k * mk + ms)))
                xs = nxt
        th = cfg["tower_hidden"]
        return np.concatenate([sigmoid(self.mlp(f"tower.{tasks[t]}", xs[t], len(th), kind)) for t in range(k)], axis=1)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("input")
    ap.add_argument("--out")
    ap.add_argument("--max-history", type=int)
    a = ap.parse_args(argv)
    net = Net(a.model_dir)
    if a.input.endswith(".json"):
        with open(a.input, encoding="utf-8") as f:
            batch = json.load(f)
        rows, row_ids = batch["rows"], bool(batch.get("row_ids", False))
    else:
        with open(a.input, newline="", encoding="utf-8-sig") as f:
            rows, row_ids = list(csv.DictReader(f)), False
    probs = net.forward(*net.encode(rows, row_ids, a.max_history))
    out = json.dumps({"tasks": net.tasks, "predictions": probs.tolist()})
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(out)
    else:
        print(out)


if __name__ == "__main__":
    main(sys.argv[1:])
