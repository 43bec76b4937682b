#!/usr/bin/env python3
"""An independent float32 implementation of the reference document's backprop, in NumPy.

Written from the equations in the design (feature-major, as in the document: A^(l) is
s_l x B, one column per example), sharing no code or layout with mlpd:

    Z^(l+1) = W^(l) A^(l) + b^(l) 1^T,  A^(l+1) = f(Z^(l+1))
    D^(nl)  = -(Y - A^(nl)) * f'(Z^(nl))                          (10)
    D^(l)   = (W^(l)^T D^(l+1)) * f'(Z^(l))                       (11)
    dW^(l)  = (1/m) D^(l+1) A^(l)^T,  db^(l) = (1/m) D^(l+1) 1    (12), (13)
    W <- W - alpha (dW + lambda W), b <- b - alpha db   (plain SGD; momentum optional)

Usage: numpy_mlp.py INIT.safetensors DATA.csv SCALE BATCH STEPS LR MOMENTUM DECAY MLPD.safetensors
DATA.csv: no header, label in the last column; examples are taken in file order.
Compares its final weights with mlpd's model and prints, as JSON, the largest difference
relative to each tensor's largest magnitude (max_rel) and the largest element-wise relative
difference among weights of magnitude >= 1e-3 (max_elem_rel).
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).copy()
    return tensors, header.get("__metadata__", {})


def sigmoid(z):
    return (np.float32(1) / (np.float32(1) + np.exp(-z))).astype(np.float32)


def main():
    init, csv, scale, batch, steps, lr, momentum, decay, result = sys.argv[1:10]
    scale, batch, steps = np.float32(scale), int(batch), int(steps)
    lr, momentum, decay = np.float32(lr), np.float32(momentum), np.float32(decay)
    tensors, meta = read_safetensors(init)
    assert meta.get("activation") == "sigmoid" and meta.get("output_activation") == "sigmoid"
    assert meta.get("loss") == "squared_error"
    layers = len([k for k in tensors if k.endswith(".weight")])
    W = [tensors[f"layers.{l}.weight"] for l in range(layers)]
    b = [tensors[f"layers.{l}.bias"] for l in range(layers)]
    vW = [np.zeros_like(w) for w in W]
    vb = [np.zeros_like(x) for x in b]

    rows = np.loadtxt(csv, delimiter=",", dtype=np.float64, ndmin=2)
    X = (rows[:, :-1].astype(np.float32) * scale).astype(np.float32)
    labels = rows[:, -1].astype(int)
    classes = W[-1].shape[0]
    Y = np.eye(classes, dtype=np.float32)[labels]

    n = X.shape[0]
    for s in range(steps):
        start = (s * batch) % n
        idx = np.arange(start, min(start + batch, n))
        m = np.float32(len(idx))
        A = [X[idx].T]                       # s_1 x B
        for l in range(layers):
            A.append(sigmoid(W[l] @ A[l] + b[l][:, None]))
        D = -(Y[idx].T - A[-1]) * A[-1] * (np.float32(1) - A[-1])          # (10)
        for l in range(layers - 1, -1, -1):
            dW = (D @ A[l].T) / m + decay * W[l]                              # (12)
            db = D.sum(axis=1) / m                                            # (13)
            if l > 0:
                D = (W[l].T @ D) * A[l] * (np.float32(1) - A[l])             # (11)
            vW[l] = momentum * vW[l] + dW
            vb[l] = momentum * vb[l] + db
            W[l] = (W[l] - lr * vW[l]).astype(np.float32)
            b[l] = (b[l] - lr * vb[l]).astype(np.float32)
    theirs, _ = read_safetensors(result)
    max_rel = max_elem_rel = 0.0
    for l in range(layers):
        for name, ours in ((f"layers.{l}.weight", W[l]), (f"layers.{l}.bias", b[l])):
            other = theirs[name].astype(np.float64)
            ours = ours.astype(np.float64)
            diff = np.abs(other - ours)
            max_rel = max(max_rel, float(diff.max() / np.abs(ours).max()))
            big = np.abs(ours) >= 1e-3
            if big.any():
                max_elem_rel = max(max_elem_rel, float((diff[big] / np.abs(ours[big])).max()))
    moved = max(float(np.abs(W[l] - tensors[f"layers.{l}.weight"]).max()) for l in range(layers))
    print(json.dumps({"max_rel": max_rel, "max_elem_rel": max_elem_rel, "steps": steps, "max_weight_change": moved}))


if __name__ == "__main__":
    main()
