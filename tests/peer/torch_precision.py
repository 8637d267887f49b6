"""PyTorch in float32 and bfloat16 for tests/peer/test_torch_precision.cpp.

1. Rounding: seeded float64 values of many magnitudes (ties included) converted with .to(dtype).
2. A ReLU MLP 6 -> 16 -> 4 with cross-entropy on seeded data, computed in each dtype from the
   same (rounded) data and parameters: pre-activations, logits, loss and gradients; then 30 steps
   of seven torch.optim configurations in that dtype (parameters and state in it, as torch keeps them).
"""
import json
import sys

import numpy as np
import torch

rng = np.random.default_rng(17)
values = np.concatenate([
    rng.standard_normal(500) * 10.0 ** rng.integers(-30, 30, 500),
    1 + np.arange(-64, 64) * 2.0 ** -9,  # bfloat16 ties and their neighbours around 1
    np.array([0.0, -0.0, 3.4e38, -3.4e38, 1e-40, 2.0 ** -133]),
])
# As C99 hex strings (float.hex): exact, and JSON has no infinity (3.4e38 is one in bfloat16).
out = {"torch_version": torch.__version__, "values": [v.hex() for v in values.tolist()], "rounded": {}, "mlp": {}}
for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
    rounded = torch.tensor(values, dtype=torch.float64).to(dtype).to(torch.float64).tolist()
    out["rounded"][name] = [v.hex() for v in rounded]

X = rng.standard_normal((32, 6))
labels = rng.integers(0, 4, 32)
init = {"W1": rng.standard_normal((6, 16)) * 0.4, "b1": rng.standard_normal(16) * 0.1,
        "W2": rng.standard_normal((16, 4)) * 0.4, "b2": np.zeros(4)}
names = ("W1", "b1", "W2", "b2")


# dagrad's make_optimizer names, with torch.optim's equivalents (weight decay: L2, or decoupled for AdamW).
OPTIMIZERS = (
    ("sgd", torch.optim.SGD, dict(lr=0.1)),
    ("momentum", torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    ("nesterov", torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("adagrad", torch.optim.Adagrad, dict(lr=0.1)),
    ("rmsprop", torch.optim.RMSprop, dict(lr=0.01)),
    ("adam", torch.optim.Adam, dict(lr=0.01)),
    ("adamw", torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
)


def forward(params, x, y):
    pre = x @ params[0] + params[1]
    logits = torch.relu(pre) @ params[2] + params[3]
    return pre, logits, torch.nn.functional.cross_entropy(logits, y)


for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
    x = torch.tensor(X).to(dtype)
    y = torch.tensor(labels)
    params = [torch.tensor(init[k]).to(dtype).requires_grad_() for k in names]
    pre, logits, loss = forward(params, x, y)
    grads = torch.autograd.grad(loss, params)
    # Debian's PyTorch 1.13 (BLAS_INFO=generic) multiplies bfloat16 matrices by rounding every product
    # and every partial sum to bfloat16; PyTorch 2 and oneDNN accumulate in float32 and round once.
    # The second, spelt out: what dagrad is to match bit for bit.
    def f32_matmul(a, b):
        return (a.detach().float() @ b.detach().float()).to(dtype)
    pre_once = f32_matmul(x, params[0]) + params[1].detach()
    logits_once = f32_matmul(torch.relu(pre_once), params[2]) + params[3].detach()
    result = {"X": x.double().tolist(), "init": {k: p.detach().double().tolist() for k, p in zip(names, params)},
              "pre": pre.detach().double().tolist(), "logits": logits.detach().double().tolist(),
              "pre_once": pre_once.double().tolist(), "logits_once": logits_once.double().tolist(),
              "loss": loss.item(), "grads": {k: g.double().tolist() for k, g in zip(names, grads)}, "trained": {}}
    for opt_name, cls, kwargs in OPTIMIZERS:
        ps = [torch.tensor(init[k]).to(dtype).requires_grad_() for k in names]
        opt = cls(ps, foreach=False, **kwargs)
        for _ in range(30):
            opt.zero_grad()
            forward(ps, x, y)[2].backward()
            opt.step()
        result["trained"][opt_name] = {k: p.detach().double().tolist() for k, p in zip(names, ps)}
    out["mlp"][name] = result
out["labels"] = labels.tolist()
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
