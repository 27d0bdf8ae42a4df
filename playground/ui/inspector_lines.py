"""What the inspector shows of a traced step, worked out without Qt: a list of ``Line``s.

``lines(trace, row, names)`` walks a ``playground.engine.trace`` record the way
``playground trace`` does (forward module by module, the loss, backward, L1/L2 and clipping,
the optimizer's update), for the one training row the user picked (``row``, one of
``trace.rows``: a batch traced for batchnorm's sake is summed over where the step sums).
Each line pairs a formula (mathtext, typeset by ``formula_render``) with its numbers as text:

    rule   the module's definition, from the engine's formula registry (``engine.formulas``)
    value  one quantity: its symbol typeset (z_3), then "= 0.15·0.05 + 0.35 = 0.3575"

and says which parts of the network diagram it is about (``marks``, for the diagram's
``highlight``: (module, unit, part) with module -1 the inputs and part None for the unit or
layer, an input index for the weight from it, "bias", or "in" for all the unit's incoming
weights; unit None for the whole module) and in which phase of the step it happens (forward,
loss, backward, update). Large layers show a few units (``trace_text``'s UNITS, ENTRIES,
TERMS) and a note of how many are left out. Results are shown to 6 significant digits, the
terms of a sum to 4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from playground.engine.trace import PerceptronTrace, StepTrace
from playground.trace_text import (TERMS, UNITS, chain_rule, entries, loss_gradient,
                                   module_name, num, pick, update_steps)

Mark = tuple[int, "int | None", "int | str | None"]
PHASES = ("forward", "loss", "backward", "update")
#: each phase's colour (the inspector's sections, the diagram's highlight; apart from the
#: weights' orange and blue): the signal forward, the error back, the change
PHASE_COLORS = {"forward": "#2e9d4a", "loss": "#d81b60", "backward": "#d81b60",
                "update": "#8e24aa"}
#: entries of a parameter tensor the update (and L1/L2) shows in full: the largest changes
TOP = 2
#: an optimizer step's quantities (``trace_text.update_steps`` names them) as symbols
STEP_SYMBOLS = {"g": "g", "buf": "b", "d": "d", "v": "v", "gbar": r"\bar{g}",
                "den": r"\sqrt{\tilde{v}} + \epsilon", "m": "m", "vmax": r"v_{\max}"}


@dataclass(frozen=True)
class Line:
    """One line of the inspector: ``kind`` "section" (a phase's title), "module" (a module's
    title), "rule" (a definition, ``formula`` only), "value" (``formula`` = the quantity's
    symbol, ``text`` its numbers, ``value`` its result) or "note" (text only)."""

    kind: str
    text: str = ""
    formula: str = ""
    marks: tuple[Mark, ...] = ()
    phase: str = ""
    value: float | None = None
    module: int | None = None


@dataclass(frozen=True)
class Names:
    """What the lines call things: the model inputs (after the feature map) and the classes."""

    inputs: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()


# --- numbers ------------------------------------------------------------------------------------

def short(v) -> str:
    """A term of a sum: 4 significant digits (no "-0")."""
    v = float(v)
    return "0" if v == 0 else f"{v:.4g}"


def factor(v) -> str:
    """A term standing as a later factor: negatives in parentheses."""
    s = short(v)
    return f"({s})" if s.startswith("-") else s


#: the (number, factor) formatters of the shared arithmetic (``trace_text``)
FMT = (short, factor)


def total(terms: list[str], count: int | None = None) -> str:
    """'t1 + t2 - t3', cut after TERMS terms when there are more than TERMS + 2."""
    count = len(terms) if count is None else count
    shown = terms if count <= TERMS + 2 else terms[:TERMS]
    out = shown[0] if shown else "0"
    for t in shown[1:]:
        out += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    if count > len(shown):
        out += f" + … ({count - len(shown)} more)"
    return out


def products(a: np.ndarray, b: np.ndarray) -> str:
    """'a0·b0 + a1·b1 + ...' over the first terms."""
    k = len(a) if len(a) <= TERMS + 2 else TERMS
    return total([f"{short(a[i])}·{factor(b[i])}" for i in range(k)], len(a))


def vector(v: np.ndarray, limit: int = 5) -> str:
    v = np.ravel(v)
    body = ", ".join(short(x) for x in v[:limit])
    return f"[{body}{', …' if v.size > limit else ''}]"


def top(values: np.ndarray, rank: np.ndarray, k: int = TOP) -> list[tuple[int, ...]]:
    """The ``k`` entries of a tensor with the largest |rank| (NaN first), in index order."""
    mag = np.nan_to_num(np.abs(np.ravel(rank)), nan=np.inf)
    if mag.size > k:   # the k largest in O(n), then ties broken by index as a stable sort
        part = np.argpartition(-mag, k - 1)[:k]
        cut = mag[part].min()
        ahead = np.flatnonzero(mag > cut)
        part = np.concatenate([ahead, np.flatnonzero(mag == cut)[:k - ahead.size]])
    else:
        part = np.arange(mag.size)
    flat = sorted(part.tolist())
    return [tuple(int(i) for i in np.unravel_index(i, values.shape)) for i in flat]


def sub(symbol: str, *index) -> str:
    """A subscripted symbol: sub("z", 3) -> 'z_{3}'."""
    return f"{symbol}_{{{','.join(str(i) for i in index)}}}"


def grad(symbol: str) -> str:
    """dL/d(symbol), typeset."""
    return rf"\partial L / \partial {symbol}"


def _registry(kind: str, name: str) -> tuple[str, ...]:
    """The engine's formula for a choice (``engine.formulas``), one mathtext line each."""
    try:
        from playground.engine.formulas import formula
    except ImportError:  # a build without the registry: the numbers alone
        return ()
    entry = formula(kind, name)
    return tuple(entry.latex) if entry is not None else ()


# --- the walk -----------------------------------------------------------------------------------

class _Walk:
    """Builds the lines of one trace for one row."""

    def __init__(self, t: StepTrace, row: int, names: Names,
                 keep: dict[str, list[tuple[int, ...]]] | None = None) -> None:
        self.t, self.names = t, names
        self.keep = keep or {}
        #: the entries shown of each tensor (``Picks``), to keep them the next time
        self.picked: dict[str, list[tuple[int, ...]]] = {}
        #: the tensors whose entries came from ``keep``
        self.kept: set[str] = set()
        self.r = int(np.flatnonzero(t.rows == row)[0])
        self.n = len(t.rows)
        self.out: list[Line] = []
        self.phase = "forward"

    def add(self, kind: str, text: str = "", formula: str = "", marks=(), value=None,
            module: int | None = None) -> None:
        self.out.append(Line(kind, text, formula, tuple(marks), self.phase,
                             None if value is None else float(value), module))

    def rules(self, latex: tuple[str, ...], module: int | None = None) -> None:
        for s in latex:
            self.add("rule", formula=s, module=module)

    def top(self, name: str, values: np.ndarray, rank: np.ndarray,
            choose: Callable[[np.ndarray, np.ndarray], list] = top) -> list[tuple[int, ...]]:
        """``choose(values, rank)`` (the largest entries), or the entries ``keep`` names for
        this tensor (when they are entries of it): while training plays, the inspector keeps
        the entries it showed, so their numbers can be followed (and no new symbol waits to
        be typeset)."""
        kept = self.keep.get(name)
        if kept and all(len(i) == values.ndim and all(0 <= a < n for a, n in
                                                      zip(i, values.shape)) for i in kept):
            shown = list(kept)
            self.kept.add(name)
        else:
            shown = [tuple(int(a) for a in i) for i in choose(values, rank)]
        self.picked[name] = shown
        return shown

    def more(self, shown: int, count: int, what: str, module: int | None = None) -> None:
        if shown < count:
            self.add("note", f"… {count - shown:,} more {what} (playground trace --json "
                             "lists all)", module=module)

    def section(self, phase: str, title: str) -> None:
        self.phase = phase
        self.add("section", title)

    # --- forward ---------------------------------------------------------------------------

    def forward(self) -> None:
        t, r = self.t, self.r
        batch = "" if self.n == 1 else f", in a batch of {self.n} rows"
        self.section("forward", f"Forward: training row {int(t.rows[r])}{batch}, training mode")
        x = t.inputs[r]
        self.add("module", "Inputs (after the feature map and standardization)", module=-1,
                 marks=[(-1, None, None)])
        units = pick(x.size, UNITS)
        for k in units:
            name = self.names.inputs[k] if k < len(self.names.inputs) else f"input {k + 1}"
            self.add("value", f"= {num(x[k])}   ({name})", sub("x", k), [(-1, k, None)],
                     x[k], -1)
        self.more(len(units), x.size, "inputs", -1)
        self.modules(t.modules, "forward")

    def modules(self, modules, direction: str) -> None:
        """Each module's title, then its ``forward_<kind>`` or ``backward_<kind>`` lines."""
        for m in modules:
            self.add("module", title(m), module=m.index, marks=[(m.index, None, None)])
            kind = ("linear" if m.torch == "Linear" else "batchnorm" if m.batchnorm is not None
                    else "dropout" if m.dropout is not None else "activation")
            getattr(self, f"{direction}_{kind}")(m)

    def forward_linear(self, m) -> None:
        r, i = self.r, m.index
        w, b = m.params["weight"], m.params["bias"]
        self.rules(_registry("layer", "dense")[:1] + (r"z_j = \sum_i W_{ji}\,a_i + b_j",), i)
        units = pick(w.shape[0], UNITS)
        for j in units:
            self.add("value", f"= {products(w[j], m.input[r])} + {factor(b[j])} = "
                              f"{num(m.output[r, j])}", sub("z", j),
                     [(i, j, None), (i, j, "in"), (i, j, "bias")], m.output[r, j], i)
        self.more(len(units), w.shape[0], "units", i)

    def forward_activation(self, m) -> None:
        r, i, name = self.r, m.index, m.activation
        self.rules(_registry("activation", name)[:1], i)
        units = pick(m.output.shape[1], UNITS)
        for j in units:
            self.add("value", f"= {name}({short(m.input[r, j])}) = {num(m.output[r, j])}",
                     sub("a", j), [(i, j, None)], m.output[r, j], i)
        self.more(len(units), m.output.shape[1], "units", i)

    def forward_batchnorm(self, m) -> None:
        bn, r, i, n = m.batchnorm, self.r, m.index, self.n
        gamma, beta = m.params["weight"], m.params["bias"]
        self.rules(_registry("layer", "batchnorm")[:3], i)
        units = pick(m.output.shape[1], UNITS)
        bar = [(i, None, None)]
        for j in units:
            x = m.input[:, j]
            self.add("value", f"= ({total([short(v) for v in x])}) / {n} = {num(bn.mean[j])}",
                     sub(r"\mu", j), bar, bn.mean[j], i)
            self.add("value", f"= ({total([f'{factor(v - bn.mean[j])}²' for v in x])}) / {n} "
                              f"= {num(bn.var[j])}", sub(r"\sigma^2", j), bar, bn.var[j], i)
            self.add("value", f"= ({short(x[self.r])} - {factor(bn.mean[j])}) / √({short(bn.var[j])}"
                              f" + {short(bn.eps)}) = {num(bn.xhat[r, j])}",
                     sub(r"\hat{x}", j), bar, bn.xhat[r, j], i)
            self.add("value", f"= {short(gamma[j])}·{factor(bn.xhat[r, j])} + {factor(beta[j])}"
                              f" = {num(m.output[r, j])}", sub("y", j), bar, m.output[r, j], i)
            self.add("value", f"= {short(1 - bn.momentum)}·{factor(bn.running_mean[j])} + "
                              f"{short(bn.momentum)}·{factor(bn.mean[j])} = "
                              f"{num(bn.running_mean_after[j])} (stored by the step)",
                     sub(r"\hat{\mu}", j), bar, bn.running_mean_after[j], i)
        self.more(len(units), m.output.shape[1], "units", i)

    def forward_dropout(self, m) -> None:
        d, r, i = m.dropout, self.r, m.index
        self.rules(_registry("layer", "dropout")[:1], i)
        units = pick(m.output.shape[1], UNITS)
        for j in units:
            u = short(d.uniforms[r, j])
            if d.keep[r, j]:
                text = (f"= {short(m.input[r, j])}·{short(d.scale)} = {num(m.output[r, j])}"
                        f"   (u = {u} ≥ {short(d.p)}: kept)")
            else:
                text = f"= 0   (u = {u} < {short(d.p)}: dropped)"
            self.add("value", text, sub("y", j), [(i, None, None)], m.output[r, j], i)
        self.more(len(units), m.output.shape[1], "units", i)

    # --- the loss --------------------------------------------------------------------------

    def loss(self) -> None:
        t, r, loss = self.t, self.r, self.t.loss
        out = t.modules[-1].index
        self.section("loss", f"Loss: {loss.name}"
                     + (f", {loss.output_activation} output fused" if
                        loss.output_activation != "linear" else ""))
        self.rules(_registry("loss", loss.name)[:1], out)
        z, p, y = loss.logits[r], loss.prediction[r], loss.target[r]
        units = [(out, k, None) for k in range(z.size)]
        if loss.name == "bce":
            yr = float(y[0])
            self.add("value", f"= σ({short(z[0])}) = {num(p[0])}", "p", units, p[0], out)
            self.add("value", f"= -({short(yr)}·log {short(p[0])} + {short(1 - yr)}·log "
                              f"{short(1 - p[0])}) = {num(loss.per_row[r])}   (y = "
                              f"{self.label(int(yr))})", "L", units, loss.per_row[r], out)
        elif loss.name == "cross_entropy":
            c = int(y)
            self.add("value", f"= softmax({vector(z)}) = {vector(p)}", "p", units, None, out)
            self.add("value", f"= -log p_{c} = -log {short(p[c])} = {num(loss.per_row[r])}   "
                              f"(y = {self.label(c)})", "L", units, loss.per_row[r], out)
        else:
            k = z.size
            terms = [f"({short(z[j])} - {factor(y[j])})²" for j in range(k)]
            body = f"({total(terms)}) / {k}" if k > 1 else terms[0]
            self.add("value", f"= {body} = {num(loss.per_row[r])}", "L", units,
                     loss.per_row[r], out)
        if self.n > 1:
            self.add("value", f"= ({total([short(v) for v in loss.per_row])}) / {self.n} = "
                              f"{num(loss.mean)}   (the batch's mean: the step lowers it)",
                     r"\bar{L}", units, loss.mean, out)

    def label(self, c: int) -> str:
        classes = self.names.classes
        name = classes[c] if 0 <= c < len(classes) else ""
        return f"{c}, {name}" if name and name != str(c) else str(c)

    # --- backward --------------------------------------------------------------------------

    def backward(self) -> None:
        t, r, loss, n = self.t, self.r, self.t.loss, self.n
        out = t.modules[-1].index
        self.section("backward", "Backward: the chain rule, output to input")
        self.rules(_registry("loss", loss.name)[-1:], out)
        z, p, y, g = loss.logits[r], loss.prediction[r], loss.target[r], loss.grad_logits[r]
        units = pick(z.size, UNITS)
        for k in units:
            expr = loss_gradient(loss.name, z, p, y, k, n, FMT)
            self.add("value", f"= {expr} = {num(g[k])}", grad(sub("z", k)), [(out, k, None)],
                     g[k], out)
        self.more(len(units), z.size, "outputs", out)
        self.modules(reversed(t.modules), "backward")

    def backward_linear(self, m) -> None:
        i, r, n = m.index, self.r, self.n
        first = i == self.t.modules[0].index
        w, gw = m.params["weight"], m.grads["weight"]
        self.rules(_registry("layer", "dense")[1:2] + (
            r"\dfrac{\partial L}{\partial W_{ji}} = \sum_{\mathrm{rows}} \delta_j\,a_i,\quad "
            r"\delta_j = \dfrac{\partial L}{\partial z_j}",), i)
        shown = self.top(f"grad:{m.index}.weight", w, gw, entries)
        for o, k in shown:
            terms = products(m.grad_output[:, o], m.input[:, k])
            self.add("value", f"= {terms} = {num(gw[o, k])}", grad(sub("W", o, k)),
                     [(i, o, k)], gw[o, k], i)
        which = ("the ones shown when Play began, kept while it plays" if
                 f"grad:{m.index}.weight" in self.kept else "the largest shown")
        self.more(len(shown), w.size, f"weights' gradients ({which})", i)
        units = pick(w.shape[0], UNITS)
        for o in units:
            sums = f"{total([short(v) for v in m.grad_output[:, o]])} = " if n > 1 else ""
            self.add("value", f"= {sums}{num(m.grads['bias'][o])}", grad(sub("b", o)),
                     [(i, o, "bias")], m.grads["bias"][o], i)
        self.more(len(units), w.shape[0], "biases' gradients", i)
        if first:
            return
        inputs = pick(w.shape[1], UNITS)
        for k in inputs:
            self.add("value", f"= {products(w[:, k], m.grad_output[r])} = "
                              f"{num(m.grad_input[r, k])}", grad(sub("a", k)),
                     [(i - 1, k, None), (i, None, k)], m.grad_input[r, k], i)
        self.more(len(inputs), w.shape[1], "inputs' gradients", i)

    def backward_activation(self, m) -> None:
        r, i, name = self.r, m.index, m.activation
        self.rules(_registry("activation", name)[1:2], i)
        units = pick(m.output.shape[1], UNITS)
        for j in units:
            z = m.input[r, j]
            expr = chain_rule(name, m.grad_output[r, j], m.output[r, j], z, FMT)
            if name not in ("sigmoid", "tanh", "linear"):
                expr += f"   (f′ at z = {short(z)})"
            self.add("value", f"= {expr} = {num(m.grad_input[r, j])}", grad(sub("z", j)),
                     [(i, j, None)], m.grad_input[r, j], i)
        self.more(len(units), m.output.shape[1], "units", i)

    def backward_batchnorm(self, m) -> None:
        bn, r, i, n = m.batchnorm, self.r, m.index, self.n
        gamma = m.params["weight"]
        self.add("rule", formula=r"\dfrac{\partial L}{\partial x} = \dfrac{\gamma}{n\,\sqrt{"
                                 r"\sigma^2 + \epsilon}}\left(n\,g - \sum g - \hat{x}\sum g\,"
                                 r"\hat{x}\right),\quad g = \dfrac{\partial L}{\partial y}",
                 module=i)
        units = pick(m.output.shape[1], UNITS)
        bar = [(i, None, None)]
        for j in units:
            g = m.grad_output[:, j]
            sg, sgx = m.grads["bias"][j], m.grads["weight"][j]
            self.add("value", f"= {products(g, bn.xhat[:, j])} = {num(sgx)}",
                     grad(sub(r"\gamma", j)), bar, sgx, i)
            self.add("value", f"= {total([short(v) for v in g])} = {num(sg)}",
                     grad(sub(r"\beta", j)), bar, sg, i)
            self.add("value", f"= {short(gamma[j])}·{short(bn.invstd[j])} / {n}·({n}·"
                              f"{factor(g[r])} - {factor(sg)} - {factor(bn.xhat[r, j])}·"
                              f"{factor(sgx)}) = {num(m.grad_input[r, j])}",
                     grad(sub("x", j)), bar, m.grad_input[r, j], i)
        self.more(len(units), m.output.shape[1], "units", i)

    def backward_dropout(self, m) -> None:
        d, r, i = m.dropout, self.r, m.index
        self.add("rule", formula=r"\dfrac{\partial L}{\partial x_j} = \dfrac{\partial L}"
                                 r"{\partial y_j}\,\dfrac{[u_j \geq p]}{1 - p}", module=i)
        units = pick(m.output.shape[1], UNITS)
        for j in units:
            scale = d.scale if d.keep[r, j] else 0
            self.add("value", f"= {short(m.grad_output[r, j])}·{factor(scale)} = "
                              f"{num(m.grad_input[r, j])}", grad(sub("x", j)),
                     [(i, None, None)], m.grad_input[r, j], i)
        self.more(len(units), m.output.shape[1], "units", i)

    def penalties(self) -> None:
        t, reg, c = self.t, self.t.regularization, self.t.clip
        if reg.terms:
            self.add("module", f"{reg.kind.upper()} regularization, rate {num(reg.rate)}")
            self.rules(_registry("regularization", reg.kind)[:1])
            w = t.optimizer.params_before
            for key, term in reg.terms.items():
                m = int(key.split(".")[0])
                shown = self.top(f"regularization:{key}", term, reg.grads[key])
                for o, k in shown:
                    what = f"sign({short(w[key][o, k])})" if reg.kind == "l1" else \
                        factor(w[key][o, k])
                    self.add("value", f"= {short(t.grads[key][o, k])} + {short(reg.rate)}·{what}"
                                      f" = {num(reg.grads[key][o, k])}", grad(sub("W", o, k)),
                             [(m, o, k)], reg.grads[key][o, k], m)
                self.more(len(shown), term.size, f"entries of {key}", m)
        if c.kind == "none":
            return
        size = sum(v.size for v in c.grads.values())
        self.add("module", f"Gradient clipping by {c.kind}, threshold {num(c.threshold)}")
        self.rules(_registry("clip", c.kind))
        if c.kind == "norm":
            verdict = "no change" if c.factor >= 1 else f"every entry times {num(c.factor)}"
            self.add("value", f"= {num(c.total_norm)} over all {size:,} entries: factor "
                              f"min(1, {short(c.threshold)} / ({short(c.total_norm)} + 1e-06)) "
                              f"= {num(c.factor)}, {verdict}", r"\|g\|", value=c.total_norm)
        else:
            hits = sum(int(v.sum()) for v in c.clipped.values())
            self.add("note", f"{hits:,} of {size:,} entries clipped to ±{num(c.threshold)} "
                             f"(‖g‖ = {num(c.total_norm)} before)")

    # --- the update --------------------------------------------------------------------------

    def update(self) -> None:
        t, o = self.t, self.t.optimizer
        self.section("update", f"Update: {o.name}, learning rate {num(o.lr)} (schedule "
                               f"{t.schedule}), step t = {o.step}")
        self.rules(_registry("optimizer", o.name))
        if o.name in ("adam", "adamw"):
            b1, b2 = o.options["betas"]
            s = o.scalars
            self.add("value", f"= 1 - {short(b1)}^{o.step} = {num(s['bias_correction1'])}",
                     r"1 - \beta_1^t", value=s["bias_correction1"])
            self.add("value", f"= 1 - {short(b2)}^{o.step} = {num(s['bias_correction2'])}",
                     r"1 - \beta_2^t", value=s["bias_correction2"])
        if o.first_momentum and o.options.get("momentum", 0):
            self.add("note", "First step: the momentum buffer starts as the gradient "
                             "(torch.optim's rule).")
        for key, before in o.params_before.items():
            m, name = int(key.split(".")[0]), key.split(".")[1]
            shown = self.top(f"update:{key}", before, o.update[key])
            self.add("module", f"{key}: {title_of_param(t, m, name)}", module=m,
                     marks=[(m, None, None)])
            for idx in shown:
                self.update_entry(key, m, name, idx)
            which = ("the entries shown when Play began, kept while it plays" if
                     f"update:{key}" in self.kept else "the largest changes shown")
            self.more(len(shown), before.size, f"entries of {key} ({which})", m)

    def update_entry(self, key: str, m: int, name: str, idx) -> None:
        """The optimizer's rule on one entry, line by line (``trace_text.update_steps``)."""
        o = self.t.optimizer
        g0 = self.t.clip.grads[key][idx]
        marks = [param_mark(self.t, m, name, idx)]
        symbol = param_symbol(self.t, m, name, idx)
        self.add("value", f"= {num(g0)}   (for {key}{list(idx)} = "
                          f"{num(o.params_before[key][idx])})", "g", marks, g0, m)
        steps = update_steps(o, key, idx, g0, FMT)
        for k, step in enumerate(steps):
            last = k == len(steps) - 1
            text = (f"= {step.numbers + ' = ' if step.numbers else ''}{num(step.value)}"
                    f"{step.note}")
            if last:
                text += f"   (change {num(o.update[key][idx])})"
            self.add("value", text, symbol if step.name == "w" else STEP_SYMBOLS[step.name],
                     marks, step.value, m)


# --- names of modules and parameters --------------------------------------------------------------

def title(m) -> str:
    """'[0] Linear(2 → 8)', '[2] BatchNorm1d(8)', '[3] Dropout(p=0.2)', '[1] Tanh'."""
    return module_name(m, "→")


def _module(t: StepTrace, m: int):
    return next(x for x in t.modules if x.index == m)


def title_of_param(t: StepTrace, m: int, name: str) -> str:
    module = _module(t, m)
    if module.torch == "BatchNorm1d":
        return "batchnorm's γ" if name == "weight" else "batchnorm's β"
    return f"{title(module)[len(str(m)) + 3:]}'s " + ("weights W" if name == "weight"
                                                      else "biases b")


def param_symbol(t: StepTrace, m: int, name: str, idx) -> str:
    if _module(t, m).torch == "BatchNorm1d":
        return sub(r"\gamma" if name == "weight" else r"\beta", *idx)
    return sub("W" if name == "weight" else "b", *idx)


def param_mark(t: StepTrace, m: int, name: str, idx) -> Mark:
    if _module(t, m).torch == "BatchNorm1d":
        return (m, None, None)
    if name == "bias":
        return (m, int(idx[0]), "bias")
    return (m, int(idx[0]), int(idx[1]))


# --- the perceptron ------------------------------------------------------------------------------

def _perceptron(t: PerceptronTrace, row: int, names: Names) -> list[Line]:
    out: list[Line] = []
    at = int(np.flatnonzero(t.rows == row)[0])
    s = t.steps[at]
    w = t.params_before["0.weight"] if at == 0 else t.steps[at - 1].weight
    b = t.params_before["0.bias"] if at == 0 else t.steps[at - 1].bias

    def add(kind, text="", formula="", marks=(), phase="forward", value=None, module=None):
        out.append(Line(kind, text, formula, tuple(marks), phase,
                        None if value is None else float(value), module))

    add("section", f"Forward: training row {row}")
    units = pick(s.x.size, UNITS)
    add("module", "Inputs", module=-1, marks=[(-1, None, None)])
    for k in units:
        name = names.inputs[k] if k < len(names.inputs) else f"input {k + 1}"
        add("value", f"= {num(s.x[k])}   ({name})", sub("x", k), [(-1, k, None)], value=s.x[k],
            module=-1)
    if len(units) < s.x.size:
        add("note", f"… {s.x.size - len(units):,} more inputs", module=-1)
    rule = _registry("model", "perceptron")
    add("module", "[0] Linear, then the step", module=0, marks=[(0, None, None)])
    for latex in rule[:1]:
        add("rule", formula=latex, module=0)
    shown = pick(w.shape[0], UNITS)
    for k in shown:
        add("value", f"= {products(w[k], s.x)} + {factor(b[k])} = {num(s.z[k])}", sub("z", k),
            [(0, k, None), (0, k, "in"), (0, k, "bias")], value=s.z[k], module=0)
    add("section", "The rule: only a mistake moves the weights", phase="update")
    for latex in rule[1:]:
        add("rule", formula=latex, phase="update", module=0)
    add("value", f"= {num(t.lr)}", r"\eta", phase="update", value=t.lr)
    for k in shown:
        err = float(s.error[k])
        verdict = "correct: no change" if not err else f"a mistake: y - ŷ = {num(err)}"
        add("value", f"= [{short(s.z[k])} > 0] = {int(s.prediction[k])}, y = "
                     f"{int(s.target[k])}: {verdict}", sub(r"\hat{y}", k), [(0, k, None)],
            phase="update", value=s.prediction[k], module=0)
        if err:
            add("value", f"= {vector(w[k])} + {short(t.lr)}·{factor(err)}·{vector(s.x)} = "
                         f"{vector(s.weight[k])}", sub("w", k), [(0, k, "in")], phase="update",
                module=0)
            add("value", f"= {short(b[k])} + {short(t.lr)}·{factor(err)} = {num(s.bias[k])}",
                sub("b", k), [(0, k, "bias")], phase="update", value=s.bias[k], module=0)
    if len(shown) < w.shape[0]:
        add("note", f"… {w.shape[0] - len(shown):,} more units", phase="update", module=0)
    return out


# --- entry points --------------------------------------------------------------------------------

#: which entries of each tensor a trace's lines show: {"update:0.weight": [(o, k), ...]}
Picks = dict[str, list[tuple[int, ...]]]


def lines(t: StepTrace | PerceptronTrace, row: int, names: Names = Names()) -> list[Line]:
    """The inspector's lines for training row ``row`` (one of ``t.rows``)."""
    return lines_and_picks(t, row, names)[0]


def lines_and_picks(t: StepTrace | PerceptronTrace, row: int, names: Names = Names(),
                    keep: Picks | None = None) -> tuple[list[Line], Picks]:
    """``lines``, showing the entries ``keep`` names (an earlier trace's picks) where the
    tensor has them instead of the largest; and the picks these lines show."""
    if isinstance(t, PerceptronTrace):
        return _perceptron(t, row, names), {}
    walk = _Walk(t, row, names, keep)
    walk.forward()
    walk.loss()
    walk.backward()
    walk.penalties()
    walk.update()
    return walk.out, walk.picked


@lru_cache(maxsize=512)
def split_formula(latex: str) -> tuple[str, ...]:
    """A formula's parts at its top-level ``\\quad`` and ``\\qquad`` spaces (a comma before
    one dropped), to stack in a narrow view: [latex] when it has none. Braces and
    ``\\left``...``\\right`` pairs are never split."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(latex):
        pair = next((w for w in (r"\left", r"\right") if latex.startswith(w, i)
                     and not latex[i + len(w):i + len(w) + 1].isalpha()), None)
        if pair:                      # \left( ... \right), not \leftarrow
            depth += 1 if pair == r"\left" else -1
            i += len(pair)
            continue
        c = latex[i]
        depth += (c == "{") - (c == "}")
        space = next((q for q in (r"\qquad", r"\quad") if latex.startswith(q, i)), None)
        if depth == 0 and space and not latex[i + len(space):i + len(space) + 1].isalpha():
            parts.append(latex[start:i])
            i += len(space)
            start = i
            continue
        i += 1
    parts.append(latex[start:])
    out = [p.strip().rstrip(",").rstrip("\\ ").strip() for p in parts]
    return tuple(p for p in out if p) or (latex,)


def formulas(items: list[Line]) -> list[str]:
    """Every formula the lines typeset, once each, in order."""
    return list(dict.fromkeys(line.formula for line in items if line.formula))


#: the phases of the animation: (phase, the modules it lights, in order)
def animation(t: StepTrace | PerceptronTrace) -> list[tuple[str, int]]:
    """The animation's steps: (phase, module) with module -1 the inputs: forward module by
    module, the loss at the output, backward module by module, then every module with
    parameters updated."""
    if isinstance(t, PerceptronTrace):
        return [("forward", -1), ("forward", 0), ("loss", 0), ("update", 0)]
    modules = [m.index for m in t.modules]
    out = t.modules[-1].index
    return ([("forward", -1)] + [("forward", m) for m in modules] + [("loss", out)]
            + [("backward", m) for m in reversed(modules)]
            + [("update", m.index) for m in t.modules if m.params])
