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

# PyTorch's own derivatives at kinks (relu'(0) = 0, ties split evenly, ...), for the Convention
# policy's check. Each case: the point (a list of input arrays) and the gradient at it.
def relu_identity(x):
    return F.relu(x) - F.relu(-x)


kink_cases = {
    "relu(x)-relu(-x)": (relu_identity, [0.0]),
    "x-relu(x)+relu(-x)": (lambda x: x - F.relu(x) + F.relu(-x), [0.0]),
    "abs(x)-2relu(x)+x": (lambda x: x.abs() - 2 * F.relu(x) + x, [0.0]),
    "maximum+minimum": (lambda x, y: torch.maximum(x, y) + torch.minimum(x, y), [1.0, 1.0]),
    "amax+amin": (lambda v: torch.amax(v) + torch.amin(v), [[0.0, 0.0, 0.0]]),
    "relu unit": (lambda w, v: v * F.relu(w * 1.0) - v * F.relu(w * -1.0), [0.0, 1.0]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [0.0]),
    "clamp": (lambda x: torch.clamp(x, 0.0, 1.0).sum(), [[0.0, 1.0, 0.5]]),
    "hardtanh": (lambda x: F.hardtanh(x, -1.0, 1.0).sum(), [[-1.0, 1.0, 0.5]]),
    "relu6": (lambda x: F.relu6(x).sum(), [[0.0, 6.0, 3.0]]),
    "where": (lambda x: torch.where(x > 0, x, 2 * x).sum(), [[0.0, 1.0, -1.0]]),
    "maxpool1d": (lambda x: F.max_pool1d(x, 2).sum(), [[[[1.0, 1.0, 0.0, 0.0, 2.0, -1.0]]]]),
    "maxpool2d": (lambda x: F.max_pool2d(x, 2).sum(), [[[[[1.0, 1.0], [1.0, 0.0]]]]]),
    "elu": (lambda x: F.elu(x, 0.5).sum(), [[0.0, 1.0, -1.0]]),
    "hardsigmoid": (lambda x: F.hardsigmoid(x).sum(), [[-3.0, 3.0, 0.5]]),
    "hardswish": (lambda x: F.hardswish(x).sum(), [[-3.0, 3.0, 0.5]]),
}
out["kinks"] = {}
for name, (fn, point) in kink_cases.items():
    args = [torch.tensor(p, requires_grad=True) for p in point]
    grads = torch.autograd.grad(fn(*args), args)
    out["kinks"][name] = {"point": point, "grads": [g.tolist() for g in grads]}

# Values and derivatives of the smooth activations and the hard ones away from their kinks, on
# points that include the tails (cancellation shows there).
smooth_points = [-30.0, -10.0, -3.5, -1.0, -1e-8, 1e-8, 0.3, 1.0, 2.5, 5.0, 30.0]
smooth_cases = {
    "erf": torch.erf, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu,
    "softsign": F.softsign, "expm1": torch.expm1, "elu": lambda x: F.elu(x, 0.5),
    "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish, "log1p": torch.log1p,
}
out["smooth"] = {"points": smooth_points}
for name, fn in smooth_cases.items():
    points = [p for p in smooth_points if name != "log1p" or p > -1]
    x = torch.tensor(points, requires_grad=True)
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    out["smooth"][name] = {"x": points, "value": y.tolist(), "grad": g.tolist()}

with open(sys.argv[1], "w") as f:
    json.dump(out, f)
