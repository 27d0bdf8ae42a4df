"""Check `playground trace --json` against torch autograd and torch.optim, end to end (needs
torch; the tests do not: they compare with committed fixtures, tools/make_golden.py).

    pip install torch==2.13.0
    python tools/trace_vs_torch.py [N]     # N random configurations (default 60)

Each configuration draws an optimizer setup, an activation, a loss (BCE on moons, cross-entropy
on iris, MSE on diabetes), batchnorm and dropout or not, L1/L2 or none and a clipping mode,
in float64. Every third is first trained two epochs and saved as a workspace, so the step
traced reads the optimizer's state. For each, the command line's `playground trace --json`
is run; torch rebuilds the nn.Sequential from the JSON's ``params_before``, runs its
``inputs`` (dropout with its ``mask``), takes the loss and its backward, adds L1/L2 to the
Linear weights' gradients, clips, and steps torch.optim from ``state_before``. The loss and
``grads`` must agree to 1e-12 and ``update`` to 1e-8 (each relative to max(1, |value|)):
Adam's and RMSprop's first step divides by sqrt(v) + eps, so an exactly-zero gradient (a
bias before batchnorm) turns both sides' 1e-16 rounding into updates ~1e-9 apart. Exits 1
when a configuration disagrees."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(
    [ROOT] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
ACTS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
        "leaky_relu": torch.nn.LeakyReLU, "elu": torch.nn.ELU, "gelu": torch.nn.GELU,
        "silu": torch.nn.SiLU, "linear": torch.nn.Identity}
OPTS = {"sgd": {"name": "sgd", "lr": 0.05},
        "momentum": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
        "nesterov": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
        "rmsprop": {"name": "rmsprop", "lr": 0.01},
        "rmsprop-c": {"name": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.5},
        "adam": {"name": "adam", "lr": 0.01},
        "amsgrad": {"name": "adam", "lr": 0.01, "amsgrad": True},
        "adamw": {"name": "adamw", "lr": 0.01, "weight_decay": 0.05}}
DATA = {"bce": {"source": "moons", "samples": 60}, "ce": {"source": "iris"},
        "mse": {"source": "diabetes"}}


class Masked(torch.nn.Module):
    """Dropout replaying the trace's mask (torch's own generator would draw another)."""

    def __init__(self, mask: np.ndarray, scale: float) -> None:
        super().__init__()
        self.mask = torch.tensor(mask)
        self.scale = scale

    def forward(self, x):
        return x * self.mask * self.scale


def run(args):
    p = subprocess.run([sys.executable, "-m", "playground", *args], env=ENV,
                       capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(p.stderr.strip())
    return p.stdout


def torch_step(d):
    ob = d["optimizer"]
    before = {k: torch.tensor(np.array(v, np.float64)) for k, v in ob["params_before"].items()}
    mods = []
    for m in d["modules"]:
        k = m["kind"]
        if k == "linear":
            w = before[f"{m['index']}.weight"]
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data[:] = w
            lin.bias.data[:] = before[f"{m['index']}.bias"]
            mods.append(lin)
        elif k == "batchnorm":
            bn = torch.nn.BatchNorm1d(len(m["batch_mean"]), eps=m["eps"], momentum=m["momentum"])
            bn.weight.data[:] = before[f"{m['index']}.weight"]
            bn.bias.data[:] = before[f"{m['index']}.bias"]
            mods.append(bn)
        elif k == "dropout":
            mods.append(Masked(np.array(m["mask"], np.float64), m["scale"]))
        elif m.get("torch", "").startswith("Identity"):
            mods.append(torch.nn.Identity())
        else:
            mods.append(ACTS[k]())
    net = torch.nn.Sequential(*mods).train()
    x = torch.tensor(np.array(d["inputs"], np.float64))
    z = net(x)
    y = np.array(d["target"])
    if d["output_activation"] == "sigmoid":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            z, torch.tensor(y, dtype=torch.float64).reshape(z.shape))
    elif d["output_activation"] == "softmax":
        loss = torch.nn.functional.cross_entropy(z, torch.tensor(y, dtype=torch.long).reshape(-1))
    else:
        loss = torch.nn.functional.mse_loss(
            z, torch.tensor(y, dtype=torch.float64).reshape(z.shape))
    loss.backward()
    named = dict(net.named_parameters())
    grads = {k: p.grad.detach().clone() for k, p in named.items()}
    reg = d["regularization"]
    for k, p in named.items():   # L1/L2 on dense weights
        if k.endswith(".weight") and isinstance(net[int(k.split(".")[0])], torch.nn.Linear):
            if reg["kind"] == "l2":
                p.grad += reg["rate"] * p.detach()
            elif reg["kind"] == "l1":
                p.grad += reg["rate"] * torch.sign(p.detach())
    clip = d["clip"]
    if clip["kind"] == "norm":
        torch.nn.utils.clip_grad_norm_(net.parameters(), clip["threshold"])
    elif clip["kind"] == "value":
        torch.nn.utils.clip_grad_value_(net.parameters(), clip["threshold"])
    opts = dict(ob["options"]); opts["lr"] = d["lr"]
    cls = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
           "adamw": torch.optim.AdamW}[ob["name"]]
    opt = cls(net.parameters(), **opts)
    if ob["step"] > 1 or ob["state_before"]:
        for k, p in named.items():
            st = {b: torch.tensor(np.array(v[k], np.float64))
                  for b, v in ob["state_before"].items() if k in v}
            if ob["name"] != "sgd":
                st["step"] = torch.tensor(float(ob["step"] - 1))
            if st:
                opt.state[p] = st
    old = {k: p.detach().clone() for k, p in named.items()}
    opt.step()
    update = {k: (p.detach() - old[k]) for k, p in named.items()}
    return float(loss.detach()), grads, update


TOLERANCE = {"loss": 1e-12, "grads": 1e-12, "update": 1e-8}


def differences(d: dict) -> dict[str, float]:
    """The largest difference of the loss, of any gradient entry and of any update entry
    between the trace and torch, each relative to max(1, |torch's value|)."""
    loss, grads, update = torch_step(d)
    out = {"loss": abs(loss - d["loss"]) / max(1.0, abs(loss)), "grads": 0.0, "update": 0.0}
    for name, table in (("grads", grads), ("update", update)):
        for k, v in table.items():
            if not v.numel():
                continue
            theirs = v.numpy()
            diff = float(np.max(np.abs(np.array(d[name][k], np.float64) - theirs)))
            out[name] = max(out[name], diff / max(1.0, float(np.max(np.abs(theirs)))))
    return out


def main() -> int:
    rng = random.Random(0)
    combos = list(itertools.product(OPTS, ACTS, DATA, ("", "bn", "drop", "bn+drop"),
                                    ("none", "l1", "l2"), ("none", "norm", "value")))
    rng.shuffle(combos)
    combos = combos[:int(sys.argv[1]) if len(sys.argv) > 1 else 60]
    worst = {"loss": 0.0, "grads": 0.0, "update": 0.0}
    failures: list[str] = []
    tmp = tempfile.mkdtemp()
    for i, (opt, act, loss, extra, reg, clip) in enumerate(combos):
        layers = [{"type": "dense", "units": 5, "activation": act}]
        if "bn" in extra:
            layers.append({"type": "batchnorm"})
        if "drop" in extra:
            layers.append({"type": "dropout", "p": 0.3})
        layers.append({"type": "dense", "units": 4, "activation": act})
        train = {"dtype": "float64", "batch_size": 6, "optimizer": OPTS[opt]}
        if reg != "none":
            train["regularization"] = {"kind": reg, "rate": 0.01}
        if clip != "none":
            train["clip"] = {"norm": 0.5} if clip == "norm" else {"value": 0.05}
        cfg = {"format": 1, "seed": i, "data": DATA[loss],
               "model": {"type": "mlp", "layers": layers}, "train": train}
        path = os.path.join(tmp, f"c{i}.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        target = path
        if i % 3 == 0:     # a workspace after two epochs: the optimizer has state
            ws = os.path.join(tmp, f"r{i}.playground")
            run(["train", path, "--epochs", "2", "--export", ws])
            target = ws
        d = json.loads(run(["trace", target, "--json"]))
        diff = differences(d)
        for part, value in diff.items():
            worst[part] = max(worst[part], value)
        tag = (f"{opt:9s} {act:10s} {loss:3s} {extra:7s} {reg:4s} {clip:5s} "
               f"{'workspace' if target != path else 'config'}")
        if any(not diff[part] <= TOLERANCE[part] for part in diff):
            failures.append(tag)
        print(f"{tag}  loss {diff['loss']:.1e}  grads {diff['grads']:.1e}  "
              f"update {diff['update']:.1e}", flush=True)
    covered = {axis: len({c[i] for c in combos})
               for i, axis in enumerate(("optimizers", "activations", "losses", "layers",
                                         "regularization", "clipping"))}
    print(f"{len(combos)} configurations ({covered}); largest differences: "
          + ", ".join(f"{k} {v:.1e} (tolerance {TOLERANCE[k]:g})" for k, v in worst.items()))
    for tag in failures:
        print("DISAGREES:", tag)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
