"""Reference gradients and an HVP from PyTorch (float64) for tests/peer/test_torch_peer.cpp.

Draws the data and parameters itself (seeded) and writes them with PyTorch's results to JSON, so the
reference is recomputed on every test run rather than pasted in.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261123)
n, d, h, c = 8, 5, 6, 3
data = {
    "X": rng.standard_normal((n, d)),
    "labels": rng.integers(0, c, n).astype(np.float64),
    "signs": np.where(rng.standard_normal(n) > 0, 1.0, -1.0),
    "W1": rng.standard_normal((d, h)) * 0.5,
    "b1": rng.standard_normal(h) * 0.1,
    "W2": rng.standard_normal((h, c)) * 0.5,
    "V_W1": rng.standard_normal((d, h)),
    "V_b1": rng.standard_normal(h),
    "V_W2": rng.standard_normal((h, c)),
}
X = torch.tensor(data["X"])
labels = torch.tensor(data["labels"]).long()
signs = torch.tensor(data["signs"])


def loss(W1, b1, W2):
    hidden = torch.tanh(X @ W1 + b1)
    z = F.softplus(hidden) @ W2
    lse = torch.logsumexp(z, dim=1)
    return F.cross_entropy(z, labels) + 0.1 * lse.mean() + F.softplus(-signs * lse).mean()


params = tuple(torch.tensor(data[k], requires_grad=True) for k in ("W1", "b1", "W2"))
value = loss(*params)
grads = torch.autograd.grad(value, params)
vs = tuple(torch.tensor(data[k]) for k in ("V_W1", "V_b1", "V_W2"))
_, hvp = torch.autograd.functional.hvp(loss, params, vs)

out = {k: v.tolist() for k, v in data.items()}
out["torch_version"] = torch.__version__
out["loss"] = value.item()
for name, g, hv in zip(("W1", "b1", "W2"), grads, hvp):
    out["grad_" + name] = g.tolist()
    out["hvp_" + name] = hv.tolist()
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
