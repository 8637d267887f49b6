"""torch.optim trajectories (float64) for tests/peer/test_torch_optim.cpp.

A tanh MLP 4 -> 6 -> 1 with squared loss on seeded data, trained full-batch for 100 steps by each
optimizer configuration; writes the data, the initial parameters and the final ones.
"""
import json
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(4)
X = rng.standard_normal((16, 4))
y = rng.standard_normal(16)
init = {"W1": rng.standard_normal((4, 6)) * 0.5, "b1": rng.standard_normal(6) * 0.1, "W2": rng.standard_normal(6) * 0.5}
configs = {
    "sgd": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_weight_decay": (torch.optim.SGD, dict(lr=0.1, weight_decay=0.01)),
    "momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "adagrad": (torch.optim.Adagrad, dict(lr=0.1)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01)),
    "adam": (torch.optim.Adam, dict(lr=0.01)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    # Options a PyTorch recipe uses.
    "rmsprop_momentum": (torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    "rmsprop_centered": (torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    # alpha stays 0.99: with 0.9 the centered variance cancels so far that a 1e-16 change of one
    # initial weight moves the end point by 5.6e-10 (measured with torch alone), past the tolerance.
    "rmsprop_centered_momentum": (torch.optim.RMSprop, dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.01)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
}
# Parameter groups with their own lr and weight decay, and a step where only the
# head's gradient was computed (the others' .grad stay None, so torch leaves them alone, decay included).
groups = {
    "adamw_groups": [{"params": ["W1", "b1"], "lr": 0.02, "weight_decay": 0.0}, {"params": ["W2"]}],
    "momentum_groups": [{"params": ["W1"], "lr": 0.01}, {"params": ["b1", "W2"], "weight_decay": 0.05}],
}
configs["adamw_groups"] = (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1))
configs["momentum_groups"] = (torch.optim.SGD, dict(lr=0.05, momentum=0.9))
computed = {"adam_head_only": ["W2"]}
configs["adam_head_only"] = (torch.optim.Adam, dict(lr=0.01, weight_decay=0.1))
Xt, yt = torch.tensor(X), torch.tensor(y)
out = {"X": X.tolist(), "y": y.tolist(), "init": {k: v.tolist() for k, v in init.items()}, "final": {},
       "torch_version": torch.__version__}
for name, (cls, kwargs) in configs.items():
    params = [torch.tensor(init[k], requires_grad=True) for k in ("W1", "b1", "W2")]
    by_name = dict(zip(("W1", "b1", "W2"), params))
    if name in groups:
        opt = cls([dict(g, params=[by_name[k] for k in g["params"]]) for g in groups[name]], **kwargs)
    else:
        opt = cls(params, **kwargs)
    wanted = [by_name[k] for k in computed.get(name, ("W1", "b1", "W2"))]
    for _ in range(100):
        opt.zero_grad(set_to_none=True)
        loss = ((torch.tanh(Xt @ params[0] + params[1]) @ params[2] - yt) ** 2).mean()
        for p, g in zip(wanted, torch.autograd.grad(loss, wanted)):
            p.grad = g
        opt.step()
    out["final"][name] = {k: p.detach().tolist() for k, p in zip(("W1", "b1", "W2"), params)}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
