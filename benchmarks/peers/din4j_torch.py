#!/usr/bin/python3
"""din4j's models in PyTorch, loaded from a din4j model directory.

Written from the papers (DIN: Zhou et al. KDD 2018; PLE: Tang et al. RecSys 2020) and din4j's model format
(model.json + weights.safetensors, f32 little-endian, Linear weights [out, in]); tools/din4j_numpy.py is the same
format in numpy, inference only. This module adds training mode (Dice with batch statistics, DIN eq. 9), the loss
(sum over tasks of w_k times the mean BCE over task k's sample space), gradients, ONNX export and a benchmark
worker, so din4j can be checked against, and timed beside, PyTorch and ONNX Runtime.

Commands (run with /usr/bin/python3, Debian's python3-torch):
  din4j_torch.py check MODEL_DIR BATCH.json OUT.json      predictions (inference) and gradients (training) in f64
  din4j_torch.py export-onnx MODEL_DIR OUT.onnx [--hist T] ONNX, opset 14, dynamic batch and history
  din4j_torch.py worker                                   benchmark worker: one JSON request per stdin line

The model's inputs, in order: one int64 [B] id tensor per sparse field (schema order), one int64 [B, T] tensor
per behaviour sequence (oldest first, padded with 0), int64 lengths [B], then the dense features [B, n] when the
schema has any. Inference returns probabilities [B, K]; training mode returns logits [B, K].
"""
import json
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DICE_EPS = 1e-8
DICE_MOMENTUM = 0.01


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] == "F32", f"{path}: tensor {name} is {spec['dtype']}"
        b, e = spec["data_offsets"]
        out[name] = np.frombuffer(data, dtype="<f4", count=(e - b) // 4, offset=8 + n + b).reshape(spec["shape"]).copy()
    return out


class Din4jTorch(torch.nn.Module):
    """Every din4j model family (din, base, din-ple, ple, cgc, mmoe, shared-bottom) as one PyTorch module."""

    def __init__(self, model_dir, dtype=torch.float32, sparse_embeddings=False):
        super().__init__()
        with open(f"{model_dir}/model.json", encoding="utf-8") as f:
            meta = json.load(f)
        # Format 2 only moved the vocabularies to vocabularies.bin; the weights, which is all this reads, are unchanged.
        assert meta["format"] == "din4j-model" and meta["format_version"] <= 2, "not a din4j model directory"
        self.cfg = meta["config"]
        self.schema = meta["schema"]
        self.tasks = self.schema["tasks"]
        self.sparse_embeddings = sparse_embeddings
        self.p = {}
        for name, arr in load_safetensors(f"{model_dir}/weights.safetensors").items():
            t = torch.tensor(arr, dtype=dtype)
            key = name.replace(".", "__")
            if ".dice.running_" in name:
                self.register_buffer(key, t)
            else:
                self.register_parameter(key, torch.nn.Parameter(t))
            self.p[name] = getattr(self, key)

    # ---- names ---------------------------------------------------------------------------------------------------
    def input_names(self):
        names = [f["name"] for f in self.schema["sparse"]] + [s["name"] for s in self.schema["sequences"]] + ["lengths"]
        return names + (["dense"] if self.schema["dense"] else [])

    def embedding_names(self):
        return [f"emb.{f['name']}" for f in self.schema["sparse"]]

    # ---- layers --------------------------------------------------------------------------------------------------
    def act(self, prefix, x, kind, valid=None):
        """Hidden activation; {@code valid} [rows...] masks the rows Dice's batch statistics run over."""
        if kind == "relu":
            return F.relu(x)
        if kind == "sigmoid":
            return torch.sigmoid(x)
        a = self.p[prefix + ".alpha"]
        if kind == "prelu":
            return torch.where(x > 0, x, a * x)
        rm = self.p[prefix + ".dice.running_mean"]
        rv = self.p[prefix + ".dice.running_var"]
        if self.training:
            # DIN eq. 9: E[s] and Var[s] of the mini-batch (biased variance), per channel.
            rows = x.reshape(-1, x.shape[-1])
            if valid is None:
                n = rows.shape[0]
                mean = rows.mean(0)
                var = ((rows - mean) ** 2).mean(0)
            else:
                v = valid.reshape(-1, 1).to(x.dtype)
                n = int(v.sum().item())
                if n == 0:
                    mean, var = torch.zeros_like(rm), torch.ones_like(rv)
                else:
                    mean = (rows * v).sum(0) / n
                    var = (((rows - mean) ** 2) * v).sum(0) / n
            if n > 0:
                with torch.no_grad():
                    rm.mul_(1 - DICE_MOMENTUM).add_(DICE_MOMENTUM * mean.detach())
                    rv.mul_(1 - DICE_MOMENTUM).add_(DICE_MOMENTUM * var.detach())
        else:
            mean, var = rm, rv
        p = torch.sigmoid((x - mean) / torch.sqrt(var + DICE_EPS))
        return x * (a + (1 - a) * p)  # = p·x + (1 − p)·α·x

    def linear(self, prefix, x):
        return F.linear(x, self.p[prefix + ".weight"], self.p[prefix + ".bias"])

    def mlp(self, prefix, x, n_hidden, kind, first=0, out=True, valid=None):
        for j in range(first, first + n_hidden):
            name = f"{prefix}.fc{j}"
            x = self.act(name, self.linear(name, x), kind, valid)
        return self.linear(prefix + ".out", x) if out else x

    def embed(self, name, ids):
        return F.embedding(ids, self.p["emb." + name], sparse=self.sparse_embeddings)

    # ---- forward -------------------------------------------------------------------------------------------------
    def forward(self, *inputs):
        cfg, schema = self.cfg, self.schema
        sparse, seqs = schema["sparse"], schema["sequences"]
        ns, nq = len(sparse), len(seqs)
        ids = {f["name"]: inputs[i] for i, f in enumerate(sparse)}
        lengths = inputs[ns + nq]
        dense = inputs[ns + nq + 1] if schema["dense"] else None
        emb = {name: self.embed(name, x) for name, x in ids.items()}
        keys = valid = None
        if seqs:
            hist = inputs[ns:ns + nq]
            t = hist[0].shape[1]
            valid = (torch.arange(t, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)).to(emb[sparse[0]["name"]].dtype)
            keys = torch.cat([self.embed(s["table"], h) for s, h in zip(seqs, hist)], dim=2) * valid.unsqueeze(2)
        typ = cfg["type"]
        if typ in ("din", "base", "din-ple"):
            tables = [s["table"] for s in seqs]
            parts = [emb[f["name"]] for f in sparse if f["role"] == "user"]
            if seqs:
                q = torch.cat([emb[n] for n in tables], dim=1)
                parts.append(q)
                if typ == "base":
                    pooled = keys.sum(1)
                else:
                    w = self.attention(q, keys, valid)
                    pooled = torch.bmm(w.unsqueeze(1), keys).squeeze(1)  # DIN eq. 3: Σ_t a(e_t, v_A)·e_t
                parts.append(pooled)
            parts += [emb[f["name"]] for f in sparse if f["role"] != "user" and f["name"] not in tables]
            if dense is not None:
                parts.append(dense)
            x = torch.cat(parts, dim=1)
            logits = self.multi_task(x) if typ == "din-ple" else self.mlp("mlp", x, len(cfg["mlp_hidden"]), cfg["mlp_activation"])
        else:
            parts = [emb[f["name"]] for f in sparse]
            if seqs:
                parts.append(keys.sum(1))
            if dense is not None:
                parts.append(dense)
            logits = self.multi_task(torch.cat(parts, dim=1))
        return logits if self.training else torch.sigmoid(logits)

    def attention(self, q, keys, valid):
        """DIN's local activation unit (Fig. 2): MLP over [q, k, q − k, q ⊙ k] per behaviour, one score each."""
        cfg = self.cfg
        qb = q.unsqueeze(1).expand_as(keys)
        x = torch.cat([qb, keys, qb - keys, qb * keys], dim=2)
        s = self.mlp("attention", x, len(cfg["attention_hidden"]), cfg["attention_activation"], valid=valid)[:, :, 0]
        if cfg["attention_softmax"]:
            s = torch.where(valid > 0, s, torch.full_like(s, -1e30))
            e = torch.exp(s - s.max(dim=1, keepdim=True).values) * valid
            s = e / torch.clamp(e.sum(dim=1, keepdim=True), min=1e-30)
        return s * valid

    def multi_task(self, x):
        """PLE §4.3 (CGC with one level, MMoE without specific experts), or shared-bottom; one logit per task."""
        cfg = self.cfg
        typ = cfg["type"]
        kind = cfg["expert_activation"]
        eh = cfg["expert_hidden"]
        k = len(self.tasks)
        if typ == "shared-bottom":
            h = self.mlp("bottom", x, len(eh), kind, out=False)
            xs = [h] * k
        else:
            levels = cfg["levels"] if typ in ("ple", "din-ple") else 1
            mk = 0 if typ == "mmoe" else cfg["specific_experts"]
            ms = cfg["shared_experts"]
            xs = [x] * k
            shared = x
            for lv in range(levels):
                lp = f"ple.level{lv}"
                if lv == 0:
                    groups = [(lp + ".experts", 0, k * mk + ms, shared)]
                else:
                    groups = [(f"{lp}.experts.{self.tasks[t]}", t * mk, mk, xs[t]) for t in range(k) if mk > 0]
                    if ms > 0:
                        groups.append((lp + ".experts.shared", k * mk, ms, shared))
                outs = []
                for name, first, count, inp in groups:
                    # Experts reading the same input share one wide first layer (rows e·h0.. belong to expert e).
                    wide = self.mlp(name, inp, 1, kind, out=False)
                    for e in range(count):
                        h = wide[:, e * eh[0]:(e + 1) * eh[0]]
                        if len(eh) > 1:
                            h = self.mlp(f"{lp}.expert{first + e}", h, len(eh) - 1, kind, first=1, out=False)
                        outs.append(h)
                experts = torch.stack(outs, dim=1)  # [B, E, H]
                nxt = []
                for t in range(k):
                    sel = list(range(t * mk, (t + 1) * mk)) + list(range(k * mk, k * mk + ms))
                    nxt.append(self.mix(f"{lp}.gate.{self.tasks[t]}", xs[t], experts, sel, k * mk + ms))
                if lv < levels - 1:
                    shared = self.mix(lp + ".gate.shared", shared, experts, list(range(k * mk + ms)), k * mk + ms)
                xs = nxt
        th = cfg["tower_hidden"]
        return torch.cat([self.mlp(f"tower.{self.tasks[t]}", xs[t], len(th), kind) for t in range(k)], dim=1)

    def mix(self, gate, x, experts, sel, total):
        """PLE eq. 4–5: softmax(W·x + b) over the selected experts (of total), their weighted sum."""
        g = torch.softmax(self.linear(gate, x), dim=1)
        chosen = experts if len(sel) == total else experts[:, sel, :]
        return torch.bmm(g.unsqueeze(1), chosen).squeeze(1)


def task_loss(logits, labels, masks, weights):
    """Σ_k w_k·BCE_k, BCE_k the mean over task k's sample space (mask 1); returns (total, per-task BCE)."""
    per = F.binary_cross_entropy_with_logits(logits, labels, reduction="none") * masks
    total = logits.new_zeros(())
    losses = []
    for t in range(logits.shape[1]):
        n = masks[:, t].sum()
        lt = per[:, t].sum() / n if n.item() > 0 else per[:, t].sum() * 0
        losses.append(float(lt))
        total = total + weights[t] * lt
    return total, losses


def batch_tensors(net, batch, dtype):
    """The model's inputs from the check's batch JSON (sparse ids, padded sequences, lengths, dense)."""
    ins = [torch.tensor(batch["sparse"][f["name"]], dtype=torch.long) for f in net.schema["sparse"]]
    ins += [torch.tensor(batch["sequences"][s["name"]], dtype=torch.long) for s in net.schema["sequences"]]
    ins.append(torch.tensor(batch["lengths"], dtype=torch.long))
    if net.schema["dense"]:
        ins.append(torch.tensor(batch["dense"], dtype=dtype))
    return ins


def check(model_dir, batch_path, out_path):
    """Predictions (inference mode) and gradients of the training loss (training mode), both in f64."""
    with open(batch_path, encoding="utf-8") as f:
        batch = json.load(f)
    net = Din4jTorch(model_dir, dtype=torch.float64)
    ins = batch_tensors(net, batch, torch.float64)
    net.eval()
    with torch.no_grad():
        preds = net(*ins)
    net.train()
    logits = net(*ins)
    labels = torch.tensor(batch["labels"], dtype=torch.float64).T
    masks = torch.tensor(batch["masks"], dtype=torch.float64).T
    total, losses = task_loss(logits, labels, masks, batch["task_weights"])
    total.backward()
    grads = {}
    for name, p in net.p.items():
        if isinstance(p, torch.nn.Parameter):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            grads[name] = g.reshape(-1).tolist()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"predictions": preds.tolist(), "losses": losses, "grads": grads}, f)


def export_onnx(model_dir, out_path, hist=50):
    net = Din4jTorch(model_dir).eval()
    names = net.input_names()
    b = 2
    ins = [torch.zeros(b, dtype=torch.long) for _ in net.schema["sparse"]]
    ins += [torch.zeros(b, hist, dtype=torch.long) for _ in net.schema["sequences"]]
    ins.append(torch.full((b,), hist, dtype=torch.long))
    if net.schema["dense"]:
        ins.append(torch.zeros(b, len(net.schema["dense"])))
    axes = {n: {0: "batch"} for n in names}
    for s in net.schema["sequences"]:
        axes[s["name"]] = {0: "batch", 1: "history"}
    axes["probabilities"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(net, tuple(ins), out_path, input_names=names, output_names=["probabilities"],
                          dynamic_axes=axes, opset_version=14, do_constant_folding=True)


# ---- benchmark worker ------------------------------------------------------------------------------------------
class Worker:
    """Times inference and training steps of models on random inputs; see benchmarks/peers/compare.py."""

    def __init__(self):
        self.nets = {}
        self.opts = {}

    def net(self, model_dir, train):
        key = (model_dir, train)
        if key not in self.nets:
            net = Din4jTorch(model_dir, sparse_embeddings=train)
            if train:
                net.train()
                emb = [net.p[n] for n in net.embedding_names()]
                dense = [p for n, p in net.p.items() if isinstance(p, torch.nn.Parameter) and not n.startswith("emb.")]
                # Lazy (row-wise) Adam on the tables, as din4j's sparse Adam; plain Adam on everything else.
                self.opts[key] = (torch.optim.SparseAdam(emb, lr=1e-3), torch.optim.Adam(dense, lr=1e-3))
            else:
                net.eval()
            self.nets[key] = net
        return self.nets[key]

    @staticmethod
    def inputs(net, rows, hist, user_rows, vocab, gen):
        """Random ids; every sample's history full (length T). user_rows: rows sharing the first row's user side."""
        ins = []
        for f in net.schema["sparse"]:
            x = torch.randint(0, vocab[f["name"]], (rows,), generator=gen)
            if user_rows and f["role"] == "user":
                x[:] = x[0]
            ins.append(x)
        for s in net.schema["sequences"]:
            h = torch.randint(0, vocab[s["table"]], (rows, hist), generator=gen)
            if user_rows:
                h[:] = h[0]
            ins.append(h)
        ins.append(torch.full((rows,), hist, dtype=torch.long))
        if net.schema["dense"]:
            ins.append(torch.rand(rows, len(net.schema["dense"]), generator=gen))
        return ins

    def run(self, req):
        torch.set_num_threads(req["threads"])
        train = req["mode"] == "train"
        net = self.net(req["model_dir"], train)
        vocab = {k: v.shape[0] for k, v in ((n[4:], net.p[n]) for n in net.embedding_names())}
        gen = torch.Generator().manual_seed(7)
        ins = self.inputs(net, req["batch"], req["hist"], req["mode"] == "serving", vocab, gen)
        k = len(net.tasks)
        labels = torch.randint(0, 2, (req["batch"], k), generator=gen).float()
        masks = torch.ones_like(labels)
        if train:
            opts = self.opts[(req["model_dir"], train)]

            def step():
                for o in opts:
                    o.zero_grad(set_to_none=True)
                total, _ = task_loss(net(*ins), labels, masks, [1.0] * k)
                total.backward()
                for o in opts:
                    o.step()
        else:
            def step():
                with torch.inference_mode():
                    net(*ins)
        return measure(step, req["warmup_s"], req["min_reps"], req["min_s"], req["max_reps"], req.get("max_s", 1e9))

    def loop(self):
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            req = json.loads(line)
            if req.get("quit"):
                break
            try:
                res = self.run(req)
            except Exception as e:  # report, keep serving
                res = {"error": f"{type(e).__name__}: {e}"}
            print(json.dumps(res), flush=True)


def measure(step, warmup_s, min_reps, min_s, max_reps, max_s):
    """Runs step until warmup_s has passed, then times reps until min_reps and min_s are both reached (or, after
    3 reps, max_s has passed)."""
    t_end = time.perf_counter() + warmup_s
    while True:
        step()
        if time.perf_counter() >= t_end:
            break
    times = []
    t0 = time.perf_counter()
    while len(times) < max_reps and (len(times) < min_reps or time.perf_counter() - t0 < min_s) \
            and not (len(times) >= 3 and time.perf_counter() - t0 >= max_s):
        a = time.perf_counter_ns()
        step()
        times.append((time.perf_counter_ns() - a) / 1e6)
    return {"ms": times, "median_ms": statistics.median(times), "threads": torch.get_num_threads()}


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    cmd = argv[0]
    if cmd == "check" and len(argv) == 4:
        check(argv[1], argv[2], argv[3])
    elif cmd == "export-onnx" and len(argv) in (3, 5):
        export_onnx(argv[1], argv[2], int(argv[4]) if len(argv) == 5 else 50)
    elif cmd == "worker":
        Worker().loop()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
