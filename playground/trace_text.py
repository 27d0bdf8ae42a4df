"""A traced training step as text for people: each line a formula with its numbers.

    z[0] = W[0,:]·a + b[0] = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775

``render(trace)`` walks a ``playground.engine.trace`` record: forward module by module, the
loss, backward, regularization, clipping and the optimizer's update. Large layers are
summarised so the text stays readable: a few rows, units and terms of each sum, and the
parameter entries that move most, each with a line saying how many were left out (``--json``
has them all). Numbers are shown to 6 significant digits; ASCII but for the "·" of products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.engine.activations import derivative
from playground.engine.trace import PerceptronTrace, StepTrace, format_rows

#: how much of a large layer the text shows
ROWS = 3          # rows of a batch (all when at most ROWS + 1)
UNITS = 4         # units of a module (all when at most UNITS + 2)
TERMS = 4         # terms of a sum (all when at most TERMS + 2)
ENTRIES = 4       # entries of a parameter tensor (all when at most 2 * ENTRIES)

FORWARD = {
    "linear": "a = z", "sigmoid": "a = sigmoid(z) = 1 / (1 + e^-z)", "tanh": "a = tanh(z)",
    "relu": "a = max(0, z)", "leaky_relu": "a = z if z > 0 else 0.01·z",
    "elu": "a = z if z > 0 else e^z - 1", "gelu": "a = z·Phi(z) = z/2·(1 + erf(z/sqrt 2))",
    "silu": "a = z·sigmoid(z)",
}
BACKWARD = {
    "linear": "dL/dz = dL/da", "sigmoid": "dL/dz = dL/da·a·(1 - a)",
    "tanh": "dL/dz = dL/da·(1 - a²)", "relu": "dL/dz = dL/da·[z > 0]",
    "leaky_relu": "dL/dz = dL/da·(1 if z > 0 else 0.01)",
    "elu": "dL/dz = dL/da·(1 if z > 0 else e^z)",
    "gelu": "dL/dz = dL/da·(Phi(z) + z·phi(z))",
    "silu": "dL/dz = dL/da·s·(1 + z·(1 - s)), s = sigmoid(z)",
}


# --- numbers and sums -----------------------------------------------------------------------------

def num(v) -> str:
    """6 significant digits (integer values without a trailing '.0')."""
    v = float(v)
    return "0" if v == 0 else f"{v:.6g}"  # no "-0"


def par(v) -> str:
    """A number to stand as a later factor: negatives in parentheses."""
    s = num(v)
    return f"({s})" if s.startswith("-") else s


def join(terms: list[str], total: int | None = None, tail: str | None = None) -> str:
    """'t1 + t2 - t3' (a term starting with '-' is subtracted), the list cut after TERMS
    terms when it is longer than TERMS + 2, saying how many more there were; ``tail`` (a
    bias) always comes last."""
    total = len(terms) if total is None else total
    shown = terms if total <= TERMS + 2 else terms[:TERMS]
    if total > len(shown):
        shown = shown + [f"... ({total - len(shown)} more terms)"]
    if tail is not None:
        shown = shown + [tail]
    out = shown[0] if shown else "0"
    for t in shown[1:]:
        out += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return out


def product(a, b) -> str:
    return f"{num(a)}·{par(b)}"


def dot(weights: np.ndarray, values: np.ndarray, bias=None) -> str:
    """'w0·v0 + w1·v1 + ... + b' over the first terms."""
    k = len(weights) if len(weights) <= TERMS + 2 else TERMS
    return join([product(weights[i], values[i]) for i in range(k)], len(weights),
                None if bias is None else num(bias))


def pick(n: int, limit: int) -> list[int]:
    """Indices 0..n-1 to show: all when n <= limit + slack, else the first ``limit``."""
    slack = 1 if limit == ROWS else 2
    return list(range(n)) if n <= limit + slack else list(range(limit))


def elided(shown: int, total: int, what: str) -> list[str]:
    return [] if shown >= total else [f"... {total - shown} more {what} (--json lists all)"]


def vector(v: np.ndarray, limit: int = 6) -> str:
    v = np.ravel(v)
    body = ", ".join(num(x) for x in v[:limit])
    return f"[{body}{', ...' if v.size > limit else ''}]"


def entry(key: str, index: tuple[int, ...]) -> str:
    return f"{key}[{','.join(str(i) for i in index)}]"


def entries(values: np.ndarray, rank: np.ndarray) -> list[tuple[int, ...]]:
    """The entries of a tensor to show: all when few, else the ENTRIES largest |rank|, in
    index order."""
    size = values.size
    if size <= 2 * ENTRIES:
        flat = range(size)
    else:
        mag = np.nan_to_num(np.abs(np.ravel(rank)), nan=np.inf)
        flat = sorted(np.argsort(-mag, kind="stable")[:ENTRIES].tolist())
    return [np.unravel_index(i, values.shape) for i in flat]


# --- the step -------------------------------------------------------------------------------------

def render(t: StepTrace | PerceptronTrace, notes: tuple[str, ...] = ()) -> str:
    """The whole trace as text lines; ``notes`` go under the header (what CONFIG was)."""
    if isinstance(t, PerceptronTrace):
        return "\n".join(_perceptron(t, notes))
    lines = _header(t, notes)
    lines += _forward(t)
    lines += _loss(t)
    lines += _backward(t)
    lines += _regularization(t)
    lines += _clip(t)
    lines += _update(t)
    return "\n".join(lines)


def module_name(m, arrow: str = "->") -> str:
    """'[0] Linear(2 -> 8)', '[2] BatchNorm1d(8)', '[3] Dropout(p=0.2)', '[1] Tanh'."""
    if m.kind == "linear" and m.torch == "Linear":
        n_out, n_in = m.params["weight"].shape
        return f"[{m.index}] Linear({n_in} {arrow} {n_out})"
    if m.torch == "BatchNorm1d":
        return f"[{m.index}] BatchNorm1d({m.output.shape[1]})"
    if m.torch == "Dropout":
        return f"[{m.index}] Dropout(p={num(m.dropout.p)})"
    return f"[{m.index}] {m.torch}"


def _header(t: StepTrace, notes) -> list[str]:
    n = len(t.rows)
    lines = [f"One training step on {n} training row{'s' if n > 1 else ''} "
             f"({format_rows(t.rows)}), computed and not taken ({t.dtype})"]
    lines += list(notes)
    lines.append("network: " + " ".join(module_name(m) for m in t.modules)
                 + f"; loss {t.loss.name}"
                 + (f" with the {t.loss.output_activation} output fused"
                    if t.loss.output_activation != "linear" else " on the raw outputs"))
    o = t.optimizer
    lines.append(f"optimizer {o.name}, lr {num(o.lr)} (schedule {t.schedule}), update number "
                 f"{o.step}")
    return lines


def _rows(t: StepTrace) -> list[int]:
    return pick(len(t.rows), ROWS)


def _row_label(t: StepTrace, r: int) -> str:
    return f"row {int(t.rows[r])}"


def _forward(t: StepTrace) -> list[str]:
    lines = ["", "Forward (training mode)",
             "  input a = the row's model inputs (after the feature map and standardization)"]
    rows = _rows(t)
    for r in rows:
        lines.append(f"    {_row_label(t, r)}: a = {vector(t.inputs[r])}")
    lines += ["    " + s for s in elided(len(rows), len(t.rows), "rows")]
    for m in t.modules:
        lines += _forward_module(t, m, rows)
    return lines


def _units(m) -> list[int]:
    return pick(m.output.shape[1], UNITS)


def _each(t: StepTrace, rows: list[int], units: list[int], more: list[str], line) -> list[str]:
    """``line(r, j)`` for every shown row r and unit j, each row followed by ``more``."""
    out = []
    for r in rows:
        out += [f"    {_row_label(t, r)}: {line(r, j)}" for j in units]
        out += ["      " + s for s in more]
    return out


def _forward_module(t: StepTrace, m, rows: list[int]) -> list[str]:
    units = _units(m)
    more = elided(len(units), m.output.shape[1], "units")
    if m.torch == "Linear":
        w, b = m.params["weight"], m.params["bias"]
        return [f"  {module_name(m)}: z = W a + b"] + _each(
            t, rows, units, more, lambda r, j: f"z[{j}] = W[{j},:]·a + b[{j}] = "
                                               f"{dot(w[j], m.input[r], b[j])} = "
                                               f"{num(m.output[r, j])}")
    if m.batchnorm is not None:
        return _forward_batchnorm(t, m, rows, units, more)
    if m.dropout is not None:
        d = m.dropout

        def dropped(r, j):
            u = num(d.uniforms[r, j])
            if d.keep[r, j]:
                return (f"y[{j}] = {product(m.input[r, j], d.scale)} = {num(m.output[r, j])}"
                        f"  (u = {u} >= {num(d.p)}: kept)")
            return f"y[{j}] = 0  (u = {u} < {num(d.p)}: dropped)"
        return [f"  {module_name(m)}: y = x·[u >= p] / (1 - p), u ~ U[0, 1) from the "
                f"dropout stream; scale 1 / (1 - {num(d.p)}) = {num(d.scale)}"] + _each(
            t, rows, units, more, dropped)
    name = m.activation
    return [f"  {module_name(m)}: {FORWARD[name]}"] + _each(
        t, rows, units, more, lambda r, j: f"a[{j}] = {name}({num(m.input[r, j])}) = "
                                           f"{num(m.output[r, j])}")


def _forward_batchnorm(t: StepTrace, m, rows, units, more) -> list[str]:
    bn, n = m.batchnorm, len(t.rows)
    gamma, beta = m.params["weight"], m.params["bias"]
    lines = [f"  {module_name(m)}: x_hat = (x - mean_B) / sqrt(var_B + eps), "
             f"y = gamma·x_hat + beta; the batch's statistics, eps {num(bn.eps)}"]
    for j in units:
        x = m.input[:, j]
        lines.append(f"    unit {j}: mean_B = ({join([num(v) for v in x])}) / {n} = "
                     f"{num(bn.mean[j])}; var_B = ("
                     + join([f"{par(v - bn.mean[j])}²" for v in x])
                     + f") / {n} = {num(bn.var[j])}")
        for r in rows:
            lines.append(f"      {_row_label(t, r)}: x_hat = ({num(x[r])} - {par(bn.mean[j])}) / "
                         f"sqrt({num(bn.var[j])} + {num(bn.eps)}) = {num(bn.xhat[r, j])}; "
                         f"y = {join([product(gamma[j], bn.xhat[r, j]), num(beta[j])])} = "
                         f"{num(m.output[r, j])}")
        lines.append(f"      running_mean = {num(1 - bn.momentum)}·{par(bn.running_mean[j])} + "
                     f"{num(bn.momentum)}·{par(bn.mean[j])} = {num(bn.running_mean_after[j])}; "
                     f"running_var = {num(1 - bn.momentum)}·{par(bn.running_var[j])} + "
                     f"{num(bn.momentum)}·{par(bn.var[j])}·{n}/{n - 1} = "
                     f"{num(bn.running_var_after[j])} (what the step would store)")
    lines += ["    " + s for s in more]
    return lines


def _loss(t: StepTrace) -> list[str]:
    loss, n = t.loss, len(t.rows)
    rows = _rows(t)
    z, p, y = loss.logits, loss.prediction, loss.target
    if loss.name == "bce":
        head = "L = -(y·log p + (1 - y)·log(1 - p)), p = sigmoid(z)"
    elif loss.name == "cross_entropy":
        head = "L = -log p[y], p = softmax(z), y the class index"
    else:
        head = (f"L = mean over the {z.shape[1]} outputs of (z - y)²" if z.shape[1] > 1
                else "L = (z - y)²")
    lines = ["", f"Loss: {loss.name}: {head}"]
    for r in rows:
        label = _row_label(t, r)
        if loss.name == "bce":
            yr, pr = float(y[r, 0]), float(p[r, 0])
            lines.append(f"    {label}: z = {num(z[r, 0])}, p = sigmoid({num(z[r, 0])}) = "
                         f"{num(pr)}, y = {num(yr)}: L = -({num(yr)}·log {num(pr)} + "
                         f"{num(1 - yr)}·log {num(1 - pr)}) = {num(loss.per_row[r])}")
        elif loss.name == "cross_entropy":
            c = int(y[r])
            lines.append(f"    {label}: z = {vector(z[r])}, p = softmax(z) = {vector(p[r])}, "
                         f"y = {c}: L = -log {num(p[r, c])} = {num(loss.per_row[r])}")
        else:
            k = z.shape[1]
            terms = [f"({num(z[r, j])} - {par(y[r, j])})²" for j in range(k)]
            expr = f"({join(terms)}) / {k}" if k > 1 else terms[0]
            lines.append(f"    {label}: L = {expr} = {num(loss.per_row[r])}")
    lines += ["    " + s for s in elided(len(rows), n, "rows")]
    mean = f"({join([num(v) for v in loss.per_row])}) / {n} = " if n > 1 else ""
    lines.append(f"  batch: L = {mean}{num(loss.mean)} (the mean over the rows, no penalty)")
    return lines


def _backward(t: StepTrace) -> list[str]:
    loss, n = t.loss, len(t.rows)
    rows = _rows(t)
    z, p, y, g = loss.logits, loss.prediction, loss.target, loss.grad_logits
    k = z.shape[1]
    units = pick(k, UNITS)
    formula = {"bce": "dL/dz = (p - y) / n",
               "cross_entropy": "dL/dz[j] = (p[j] - [j = y]) / n (softmax and cross-entropy "
                                "together: p - y, not the softmax's diagonal alone)",
               "mse": "dL/dz[j] = 2·(z[j] - y[j]) / (n·k)"}[loss.name]
    lines = ["", "Backward", f"  loss: {formula}"]
    for r in rows:
        for j in units:
            expr = loss_gradient(loss.name, z[r], p[r], y[r], j, n)
            lines.append(f"    {_row_label(t, r)}: dL/dz[{j}] = {expr} = {num(g[r, j])}")
    for m in reversed(t.modules):
        lines += _backward_module(t, m, rows)
    return lines


def _backward_module(t: StepTrace, m, rows: list[int]) -> list[str]:
    n = len(t.rows)
    first = m.index == t.modules[0].index
    if m.torch == "Linear":
        w = m.params["weight"]
        lines = [f"  {module_name(m)}: dL/dW = sum over rows of dL/dz·a^T, dL/db = sum "
                 "over rows of dL/dz" + ("" if first else ", dL/da = W^T dL/dz")]
        for idx in entries(w, m.grads["weight"]):
            o, i = idx
            terms = [product(m.grad_output[r, o], m.input[r, i]) for r in range(n)]
            lines.append(f"    dL/dW[{o},{i}] = {join(terms)} = {num(m.grads['weight'][o, i])}")
        lines += ["    " + s for s in elided(len(entries(w, m.grads["weight"])), w.size,
                                             "entries of dL/dW")]
        for o in pick(w.shape[0], UNITS):
            terms = [num(m.grad_output[r, o]) for r in range(n)]
            lines.append(f"    dL/db[{o}] = " + (f"{join(terms)} = " if n > 1 else "")
                         + num(m.grads['bias'][o]))
        lines += ["    " + s for s in elided(len(pick(w.shape[0], UNITS)), w.shape[0],
                                             "entries of dL/db")]
        if not first:
            for r in rows:
                for i in pick(w.shape[1], UNITS):
                    lines.append(f"    {_row_label(t, r)}: dL/da[{i}] = W[:,{i}]·dL/dz = "
                                 f"{dot(w[:, i], m.grad_output[r])} = {num(m.grad_input[r, i])}")
        return lines
    units = _units(m)
    if m.batchnorm is not None:
        return _backward_batchnorm(t, m, rows, units)
    more = elided(len(units), m.output.shape[1], "units")
    if m.dropout is not None:
        d = m.dropout
        return [f"  {module_name(m)}: dL/dx = dL/dy·[u >= p] / (1 - p)"] + _each(
            t, rows, units, more,
            lambda r, j: f"dL/dx[{j}] = "
                         f"{product(m.grad_output[r, j], d.scale if d.keep[r, j] else 0)} = "
                         f"{num(m.grad_input[r, j])}")
    name = m.activation

    def chain(r, j):
        zz = m.input[r, j]
        expr = chain_rule(name, m.grad_output[r, j], m.output[r, j], zz)
        at = f"  (z = {num(zz)})" if name not in ("sigmoid", "tanh", "linear") else ""
        return f"dL/dz[{j}] = {expr} = {num(m.grad_input[r, j])}{at}"
    return [f"  {module_name(m)}: {BACKWARD[name]}"] + _each(t, rows, units, more, chain)


def _backward_batchnorm(t: StepTrace, m, rows, units) -> list[str]:
    bn, n = m.batchnorm, len(t.rows)
    gamma = m.params["weight"]
    lines = [f"  {module_name(m)}: dL/dgamma = sum of dL/dy·x_hat, dL/dbeta = sum of dL/dy, "
             "dL/dx = gamma·invstd / n·(n·dL/dy - sum dL/dy - x_hat·sum(dL/dy·x_hat))"]
    for j in units:
        g = m.grad_output[:, j]
        sg, sgx = m.grads["bias"][j], m.grads["weight"][j]
        lines.append(f"    unit {j}: dL/dgamma = "
                     f"{join([product(g[r], bn.xhat[r, j]) for r in range(n)])} = {num(sgx)}; "
                     f"dL/dbeta = {join([num(v) for v in g])} = {num(sg)}")
        for r in rows:
            lines.append(f"      {_row_label(t, r)}: dL/dx = {num(gamma[j])}·"
                         f"{num(bn.invstd[j])} / {n}·({n}·{par(g[r])} - {par(sg)} - "
                         f"{par(bn.xhat[r, j])}·{par(sgx)}) = {num(m.grad_input[r, j])}")
    return lines


def _regularization(t: StepTrace) -> list[str]:
    reg = t.regularization
    if not reg.terms:
        return ["", "Regularization: none"]
    rule = "rate·sign(W)" if reg.kind == "l1" else "rate·W"
    lines = ["", f"Regularization: {reg.kind}, rate {num(reg.rate)}: dL/dW += {rule} on every "
                 "Linear weight (not biases, not batchnorm)"]
    w = t.optimizer.params_before
    for key, term in reg.terms.items():
        shown = entries(term, reg.grads[key])
        for idx in shown:
            factor = (f"sign({num(w[key][idx])})" if reg.kind == "l1" else par(w[key][idx]))
            lines.append(f"    {entry(key, idx)}: {num(t.grads[key][idx])} + "
                         f"{num(reg.rate)}·{factor} = {num(reg.grads[key][idx])}")
        lines += ["    " + s for s in elided(len(shown), term.size, f"entries of {key}")]
    return lines


def _clip(t: StepTrace) -> list[str]:
    c = t.clip
    size = sum(v.size for v in c.grads.values())
    norm = f"||g|| = sqrt(sum of the {size} squared entries) = {num(c.total_norm)}"
    if c.kind == "none":
        return ["", f"Clipping: none ({norm})"]
    if c.kind == "norm":
        verdict = ("no change" if c.factor >= 1 else f"every entry times {num(c.factor)}")
        return ["", f"Clipping: norm {num(c.threshold)} over all parameters at once: {norm}; "
                    f"factor = min(1, {num(c.threshold)} / ({num(c.total_norm)} + 1e-06)) = "
                    f"{num(c.factor)}: {verdict}"]
    hits = [(key, idx) for key, mask in c.clipped.items() for idx in zip(*np.nonzero(mask))]
    lines = ["", f"Clipping: value {num(c.threshold)}: g = clamp(g, -{num(c.threshold)}, "
                 f"{num(c.threshold)}); {len(hits)} of {size} entries clipped ({norm})"]
    for key, idx in hits[:2 * ENTRIES]:
        lines.append(f"    {entry(key, idx)}: {num(t.regularization.grads[key][idx])} -> "
                     f"{num(c.grads[key][idx])}")
    lines += ["    " + s for s in elided(min(len(hits), 2 * ENTRIES), len(hits),
                                         "clipped entries")]
    return lines


def _update(t: StepTrace) -> list[str]:
    o = t.optimizer
    opts = ", ".join(f"{k} {_option(v)}" for k, v in o.options.items() if k != "lr")
    lines = ["", f"Update: {o.name} ({opts}), lr {num(o.lr)}, step t = {o.step}"]
    if o.name in ("adam", "adamw"):
        b1, b2 = o.options["betas"]
        s = o.scalars
        lines.append(f"    bias corrections: 1 - {num(b1)}^{o.step} = "
                     f"{num(s['bias_correction1'])}, 1 - {num(b2)}^{o.step} = "
                     f"{num(s['bias_correction2'])}")
    if o.first_momentum and o.options.get("momentum", 0):
        lines.append("    first step: the momentum buffer starts as the gradient (torch.optim)")
    for key, before in o.params_before.items():
        shown = entries(before, o.update[key])
        for idx in shown:
            lines += _update_entry(o, t.clip.grads[key][idx], key, idx)
        lines += ["    " + s for s in elided(len(shown), before.size,
                                             f"entries of {key} (largest |change| shown)")]
    return lines


def _option(v) -> str:
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(num(x) for x in v) + ")"
    if isinstance(v, bool):
        return str(v).lower()
    return num(v)


def _update_entry(o, clipped: float, key: str, idx) -> list[str]:
    """The rule's lines for one parameter entry (``clipped``: the gradient after L1/L2 and
    clipping), each formula with its numbers."""
    pad = " " * 6
    lines = [f"    {entry(key, idx)} = {num(o.params_before[key][idx])}, g = {num(clipped)}"]
    for step in update_steps(o, key, idx, clipped):
        lines.append(f"{pad}{step.name} = {step.rule} = "
                     + (f"{step.numbers} = " if step.numbers else "")
                     + f"{num(step.value)}{step.note}")
    lines.append(f"{pad}update = {num(o.update[key][idx])}")
    return lines


# --- the arithmetic both renderings write (this text and the app's inspector) -------------------

def loss_gradient(name: str, z, p, y, k: int, n: int, fmt=None) -> str:
    """dL/dz[k]'s arithmetic for one row (its logits ``z``, prediction ``p``, target
    ``y``) of a batch of ``n``; ``fmt`` = (number, factor) formatters (num, par)."""
    f, fp = fmt or (num, par)
    if name == "bce":
        return f"({f(p[0])} - {fp(y[0])}) / {n}"
    if name == "cross_entropy":
        return f"({f(p[k])} - {int(k == int(y))}) / {n}"
    return f"2·({f(z[k])} - {fp(y[k])}) / ({n}·{len(z)})"


def chain_rule(name: str, g, a, z, fmt=None) -> str:
    """dL/dz's arithmetic through an activation: dL/da ``g`` times f'(z), from its output
    ``a`` (sigmoid, tanh) or its input ``z``."""
    f, fp = fmt or (num, par)
    if name == "sigmoid":
        return f"{f(g)}·{fp(a)}·(1 - {fp(a)})"
    if name == "tanh":
        return f"{f(g)}·(1 - {fp(a)}²)"
    if name == "linear":
        return f(g)
    return f"{f(g)}·{fp(derivative(name, np.array([z]))[0])}"


@dataclass(frozen=True)
class Step:
    """One line of an optimizer's rule for one entry: ``name`` = ``rule`` = ``numbers`` =
    ``value`` (``numbers`` empty when the rule is the value itself), ``note`` after it."""

    name: str
    rule: str
    numbers: str
    value: float
    note: str = ""


def update_steps(o, key: str, idx, clipped: float, fmt=None) -> list[Step]:
    """The optimizer's rule on entry ``idx`` of ``key``, step by step (``o`` a trace's
    ``OptimizerStep``, ``clipped`` the gradient after L1/L2 and clipping): the weight decay,
    the buffers (buf, v, gbar, m, vmax) and the new weight ``w``."""
    f, fp = fmt or (num, par)
    op = o.options
    w0, w1 = o.params_before[key][idx], o.params_after[key][idx]
    g = o.terms["grad"][key][idx]
    before = {b: v[key][idx] for b, v in o.state_before.items()}
    after = {b: v[key][idx] for b, v in o.state_after.items()}
    out: list[Step] = []
    wd = op.get("weight_decay", 0.0)
    if wd and o.name != "adamw":
        out.append(Step("g", "g + weight_decay·w", f"{f(clipped)} + {f(wd)}·{fp(w0)}", g))
    if o.name == "sgd":
        step = g
        mu = op["momentum"]
        if mu:
            b = after["momentum_buffer"]
            if o.first_momentum:
                out.append(Step("buf", "g", "", b, " (first step)"))
            else:
                out.append(Step("buf", "momentum·buf + (1 - dampening)·g",
                                f"{f(mu)}·{fp(before['momentum_buffer'])} + "
                                f"{f(1 - op['dampening'])}·{fp(g)}", b))
            step = o.terms["direction"][key][idx]
            if op["nesterov"]:
                out.append(Step("d", "g + momentum·buf", f"{f(g)} + {f(mu)}·{fp(b)}", step))
        what = "d" if mu and op["nesterov"] else ("buf" if mu else "g")
        out.append(Step("w", f"w - lr·{what}", f"{f(w0)} - {f(o.lr)}·{fp(step)}", w1))
    elif o.name == "rmsprop":
        alpha = op["alpha"]
        v = after["square_avg"]
        out.append(Step("v", "alpha·v + (1 - alpha)·g²", f"{f(alpha)}·{fp(before['square_avg'])}"
                             f" + {f(1 - alpha)}·{fp(g)}²", v))
        den = o.terms["denominator"][key][idx]
        if op["centered"]:
            gb = after["grad_avg"]
            out.append(Step("gbar", "alpha·gbar + (1 - alpha)·g",
                            f"{f(alpha)}·{fp(before['grad_avg'])} + {f(1 - alpha)}·{fp(g)}",
                            gb))
            out.append(Step("den", "sqrt(v - gbar²) + eps",
                            f"sqrt({f(v)} - {fp(gb)}²) + {f(op['eps'])}", den))
        else:
            out.append(Step("den", "sqrt(v) + eps", f"sqrt({f(v)}) + {f(op['eps'])}", den))
        if op["momentum"] > 0:
            b = after["momentum_buffer"]
            out.append(Step("buf", "momentum·buf + g / den", f"{f(op['momentum'])}·"
                                   f"{fp(before['momentum_buffer'])} + {f(g)} / {f(den)}", b))
            out.append(Step("w", "w - lr·buf", f"{f(w0)} - {f(o.lr)}·{fp(b)}", w1))
        else:
            out.append(Step("w", "w - lr·g / den", f"{f(w0)} - {f(o.lr)}·{fp(g)} / {f(den)}",
                            w1))
    else:
        b1, b2 = op["betas"]
        m, v = after["exp_avg"], after["exp_avg_sq"]
        s = o.scalars
        out.append(Step("m", "beta1·m + (1 - beta1)·g", f"{f(b1)}·{fp(before['exp_avg'])} + "
                             f"{f(1 - b1)}·{fp(g)}", m))
        out.append(Step("v", "beta2·v + (1 - beta2)·g²", f"{f(b2)}·{fp(before['exp_avg_sq'])}"
                             f" + {f(1 - b2)}·{fp(g)}²", v))
        vv = "v"
        if op["amsgrad"]:
            vm = after["max_exp_avg_sq"]
            out.append(Step("vmax", "max(vmax, v)", f"max({f(before['max_exp_avg_sq'])}, "
                                                    f"{f(v)})", vm))
            v, vv = vm, "vmax"
        start = w0
        if o.name == "adamw" and wd:
            start = w0 * s["decay"]
            out.append(Step("w", "w·(1 - lr·weight_decay)", f"{f(w0)}·{f(s['decay'])}", start,
                            " (decoupled decay)"))
        out.append(Step("w", f"w - lr / (1 - beta1^t)·m / (sqrt({vv}) / sqrt(1 - beta2^t) + "
                             "eps)", f"{f(start)} - {f(s['step_size'])}·{fp(m)} / (sqrt({f(v)})"
                                     f" / sqrt({f(s['bias_correction2'])}) + {f(op['eps'])})",
                        w1))
    return out


# --- the perceptron -------------------------------------------------------------------------------

def _perceptron(t: PerceptronTrace, notes) -> list[str]:
    n = len(t.rows)
    w = t.params_before["0.weight"]
    units = w.shape[0]
    lines = [f"One perceptron step on {n} training row{'s' if n > 1 else ''} "
             f"({format_rows(t.rows)}), one update per row in order, computed and not taken "
             f"({t.dtype})"]
    lines += list(notes)
    lines.append("rule (Rosenblatt): y_hat = [w·x + b > 0]; on a mistake w += lr·(y - y_hat)·x, "
                 f"b += lr·(y - y_hat); lr {num(t.lr)}"
                 + (f"; {units} one-vs-rest units" if units > 1 else ""))
    weight, bias = w, t.params_before["0.bias"]
    rows = pick(n, ROWS)
    for i, s in enumerate(t.steps):
        if i in rows:
            lines.append(f"  row {s.row}: x = {vector(s.x)}")
            for k in pick(units, UNITS):
                err = float(s.error[k])
                verdict = (f"mistake: w += {num(t.lr)}·{par(err)}·x, b += "
                           f"{num(t.lr)}·{par(err)} -> w = {vector(s.weight[k])}, "
                           f"b = {num(s.bias[k])}"
                           if err else "correct: no change")
                lines.append(f"    unit {k}: z = w·x + b = {dot(weight[k], s.x)} + "
                             f"{par(bias[k])} = {num(s.z[k])}; y_hat = {int(s.prediction[k])}, "
                             f"y = {int(s.target[k])}: {verdict}")
        weight, bias = s.weight, s.bias
    lines += ["  " + s for s in elided(len(rows), n, "rows")]
    lines.append(f"mistakes: {t.mistakes} of {n} rows; update: 0.weight "
                 f"{vector(t.update['0.weight'])}, 0.bias {vector(t.update['0.bias'])}")
    return lines
