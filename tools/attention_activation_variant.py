#!/usr/bin/env python3
"""A copy of a din4j DIN model directory whose attention unit uses another activation, for measuring what the
activation costs in a model (docs/architecture.md, "What serving's floor leaves out"):

    tools/attention_activation_variant.py /tmp/peers/din /tmp/peers-prelu/din prelu

The copy keeps the attention layers' weights and biases and every other tensor; the attention layers' Dice running
statistics are dropped, and so are their alphas unless the new activation is PReLU (which reads them as its
slopes). model.json's activation, its tensor list and the weights' checksum are rewritten to match. Its scores differ from the original's: it is a timing
stand-in, not the same model. Dice cannot be added this way (it would need running statistics).
"""
import hashlib
import json
import os
import shutil
import sys

ACTIVATIONS = ("prelu", "relu", "sigmoid")


def fail(message):
    print(f"attention_activation_variant: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ACTIVATIONS:
        fail(f"usage: attention_activation_variant.py MODEL_DIR OUT_DIR {{{'|'.join(ACTIVATIONS)}}}")
    src, dst, activation = sys.argv[1:]
    model_json = os.path.join(src, "model.json")
    if not os.path.isfile(model_json):
        fail(f"{model_json}: no such file (a din4j model directory holds model.json and weights.safetensors)")
    if os.path.exists(dst):
        fail(f"{dst}: already exists; give a new directory")
    with open(model_json) as f:
        model = json.load(f)
    if model.get("config", {}).get("type") != "din":
        fail(f"{model_json}: not a DIN model (config.type is {model.get('config', {}).get('type')!r})")
    with open(os.path.join(src, "weights.safetensors"), "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()

    def dropped(name):
        # Dice's statistics go; each layer's alpha stays for PReLU (its slope) and goes for the others.
        return name.startswith("attention.") and (".dice." in name or (activation != "prelu" and name.endswith(".alpha")))

    body = bytearray()
    new_header = {}
    for name, entry in header.items():
        if name == "__metadata__":
            new_header[name] = entry
            continue
        if dropped(name):
            continue
        start, end = entry["data_offsets"]
        new_header[name] = dict(entry, data_offsets=[len(body), len(body) + end - start])
        body += data[start:end]
    head = json.dumps(new_header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    blob = len(head).to_bytes(8, "little") + head + bytes(body)

    model["config"]["attention_activation"] = activation
    model["weights"]["tensors"] = [t for t in model["weights"]["tensors"] if not dropped(t["name"])]
    model["weights"]["sha256"] = hashlib.sha256(blob).hexdigest()
    os.makedirs(dst)
    try:
        with open(os.path.join(dst, "weights.safetensors"), "wb") as f:
            f.write(blob)
        with open(os.path.join(dst, "model.json"), "w") as f:
            json.dump(model, f, indent=2)
    except BaseException:
        shutil.rmtree(dst, ignore_errors=True)
        raise
    print(f"{dst}: {model['config']['type']} with a {activation} attention unit")


if __name__ == "__main__":
    main()
