"""torch.optim's update rules on one flat parameter buffer.

Every rule is elementwise, so updating the concatenation of all parameters equals updating
each tensor on its own, as torch does. Weight decay applies to every parameter (torch's default
parameter group); the L1/L2 of the config is separate (see ``regularization``).

sgd      d = g + wd p;  b = d (first step) else mu b + (1 - dampening) d;
         d = d + mu b (nesterov) or b;  p -= lr d
rmsprop  d = g + wd p;  v = alpha v + (1 - alpha) d^2;  (centered: gbar = lerp(gbar, d, 1 - alpha),
         v~ = v - gbar^2);  den = sqrt(v~) + eps;  b = mu b + d / den, p -= lr b  (mu > 0)
         or p -= lr d / den
adam     d = g + wd p;  m = lerp(m, d, 1 - b1);  v = b2 v + (1 - b2) d^2;  (amsgrad: vmax = max(vmax, v))
         p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
adamw    p *= 1 - lr wd, then adam without weight decay
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from playground.engine.formulas import Formula

#: Options of each optimizer with torch.optim's defaults (lr included).
OPTIMIZER_DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
            "weight_decay": 0.0},
    "rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False,
                "weight_decay": 0.0},
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
             "amsgrad": False},
    "adamw": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
              "amsgrad": False},
}
OPTIMIZERS: tuple[str, ...] = tuple(OPTIMIZER_DEFAULTS)


class Optimizer:
    """State and step of one torch.optim rule over a flat float buffer.

    ``options`` holds every key of ``OPTIMIZER_DEFAULTS[name]``; ``lr`` is passed to ``step``
    because schedules and the app change it between steps.
    """

    def __init__(self, name: str, options: dict[str, Any], size: int, dtype: np.dtype) -> None:
        self.name = name
        self.options = dict(options)
        self.steps = 0
        self.state: dict[str, np.ndarray] = {}
        self._size = size
        self._dtype = np.dtype(dtype)

    def _buffer(self, key: str) -> np.ndarray:
        buf = self.state.get(key)
        if buf is None:
            buf = self.state[key] = np.zeros(self._size, self._dtype)
        return buf

    #: the state buffers of each rule, in the order the fused kernel takes them
    KERNEL_BUFFERS = {"sgd": ("momentum_buffer", None, None),
                      "rmsprop": ("square_avg", "grad_avg", "momentum_buffer"),
                      "adam": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
                      "adamw": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")}

    def kernel_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """(buf0, buf1, buf2, first_momentum) for ``kernels.train_batches``; creates the buffers
        the kernel will write, so the NumPy path and the kernel share one state."""
        first = "momentum_buffer" not in self.state
        empty = np.zeros(0, self._dtype)
        bufs = [self._buffer(k) if k else empty for k in self.KERNEL_BUFFERS[self.name]]
        return bufs[0], bufs[1], bufs[2], first

    def step(self, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        """Update p in place from the gradient g (g may be overwritten)."""
        self.steps += 1
        getattr(self, "_" + self.name)(p, g, lr)

    def _sgd(self, p, g, lr):
        o = self.options
        mu, wd = o["momentum"], o["weight_decay"]
        if wd != 0:
            g = g + wd * p
        if mu != 0:
            if "momentum_buffer" not in self.state:
                buf = self.state["momentum_buffer"] = g.copy()
            else:
                buf = self.state["momentum_buffer"]
                buf *= mu
                buf += (1 - o["dampening"]) * g
            g = g + mu * buf if o["nesterov"] else buf
        p -= lr * g

    def _rmsprop(self, p, g, lr):
        o = self.options
        alpha, wd, mu = o["alpha"], o["weight_decay"], o["momentum"]
        if wd != 0:
            g = g + wd * p
        sq = self._buffer("square_avg")
        sq *= alpha
        sq += (1 - alpha) * (g * g)
        if o["centered"]:
            gbar = self._buffer("grad_avg")
            gbar += (1 - alpha) * (g - gbar)
            avg = np.sqrt(sq - gbar * gbar) + o["eps"]
        else:
            avg = np.sqrt(sq) + o["eps"]
        if mu > 0:
            buf = self._buffer("momentum_buffer")
            buf *= mu
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * (g / avg)

    def _adam(self, p, g, lr, decoupled=False):
        o = self.options
        beta1, beta2 = o["betas"]
        wd = o["weight_decay"]
        if wd != 0:
            if decoupled:
                p *= 1 - lr * wd
            else:
                g = g + wd * p
        m = self._buffer("exp_avg")
        v = self._buffer("exp_avg_sq")
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * (g * g)
        t = self.steps
        step_size = lr / (1 - beta1 ** t)
        bc2_sqrt = math.sqrt(1 - beta2 ** t)
        if o["amsgrad"]:
            vmax = self._buffer("max_exp_avg_sq")
            np.maximum(vmax, v, out=vmax)
            v = vmax
        denom = np.sqrt(v) / bc2_sqrt + o["eps"]
        p -= step_size * (m / denom)

    def _adamw(self, p, g, lr):
        self._adam(p, g, lr, decoupled=True)


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------
# Each twin takes one step t (from 1) as torch.optim's documentation writes it, from a state
# dict of named arrays (missing = zeros), and returns new arrays: (p, state).

def _get(state, key, like):
    return state.get(key, np.zeros_like(like))


def _sgd_twin(p, g, state, lr, o, t):
    mu, tau, wd = o["momentum"], o["dampening"], o["weight_decay"]
    g = g + wd * p
    state = dict(state)
    if mu != 0:
        b = g if t == 1 else mu * _get(state, "momentum_buffer", p) + (1 - tau) * g
        state["momentum_buffer"] = b
        g = g + mu * b if o["nesterov"] else b
    return p - lr * g, state


def _rmsprop_twin(p, g, state, lr, o, t):
    alpha, mu, eps = o["alpha"], o["momentum"], o["eps"]
    g = g + o["weight_decay"] * p
    state = dict(state)
    v = state["square_avg"] = alpha * _get(state, "square_avg", p) + (1 - alpha) * g ** 2
    v_tilde = v
    if o["centered"]:
        g_bar = state["grad_avg"] = alpha * _get(state, "grad_avg", p) + (1 - alpha) * g
        v_tilde = v - g_bar ** 2
    if mu > 0:
        b = state["momentum_buffer"] = (mu * _get(state, "momentum_buffer", p)
                                        + g / (np.sqrt(v_tilde) + eps))
        return p - lr * b, state
    return p - lr * g / (np.sqrt(v_tilde) + eps), state


def _adam_twin(p, g, state, lr, o, t, decoupled=False):
    (beta1, beta2), eps, wd = o["betas"], o["eps"], o["weight_decay"]
    if decoupled:
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    state = dict(state)
    m = state["exp_avg"] = beta1 * _get(state, "exp_avg", p) + (1 - beta1) * g
    v = state["exp_avg_sq"] = beta2 * _get(state, "exp_avg_sq", p) + (1 - beta2) * g ** 2
    if o["amsgrad"]:
        v = state["max_exp_avg_sq"] = np.maximum(_get(state, "max_exp_avg_sq", p), v)
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), state


_ADAM_MOMENTS = (r"m \leftarrow \beta_1 m + (1 - \beta_1)\,g,\quad "
                 r"v \leftarrow \beta_2 v + (1 - \beta_2)\,g^2",
                 r"\hat{m} = \dfrac{m}{1 - \beta_1^t},\quad \hat{v} = \dfrac{v}{1 - \beta_2^t}",
                 r"\mathrm{AMSGrad:}\quad v_{max} \leftarrow \max(v_{max}, v)\ \mathrm{replaces}"
                 r"\ v\ \mathrm{in}\ \hat{v}",
                 r"\theta \leftarrow \theta - \eta\,\dfrac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}")
_ADAM_SYMBOLS = ("θ is a parameter, g its gradient, η the learning rate, β₁, β₂ the betas, "
                 "ε eps, λ the weight decay, t the step count; m and v start at 0.")
FORMULAS = {
    ("optimizer", "sgd"): Formula(
        "SGD",
        (r"g \leftarrow g + \lambda\,\theta",
         r"b \leftarrow \mu\,b + (1 - \tau)\,g\quad (b = g\ \mathrm{on\ the\ first\ step})",
         r"g \leftarrow g + \mu\,b\ \ \mathrm{(Nesterov)}\quad \mathrm{or}\quad g \leftarrow b",
         r"\theta \leftarrow \theta - \eta\,g"),
        "Steps against the gradient; with momentum it steps along a running sum of past "
        "gradients, which smooths a zig-zagging descent.",
        "torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)", _sgd_twin,
        symbols="θ is a parameter, g its gradient, η the learning rate, μ the momentum (0: "
                "no b, plain θ ← θ − η g), τ the dampening, λ the weight decay."),
    ("optimizer", "rmsprop"): Formula(
        "RMSprop",
        (r"g \leftarrow g + \lambda\,\theta,\quad v \leftarrow \alpha\,v + (1 - \alpha)\,g^2",
         r"\tilde{v} = v\quad \mathrm{or,\ centered:}\quad \bar{g} \leftarrow \alpha\,\bar{g} + "
         r"(1 - \alpha)\,g,\ \ \tilde{v} = v - \bar{g}^2",
         r"\theta \leftarrow \theta - \eta\,\dfrac{g}{\sqrt{\tilde{v}} + \epsilon}\quad "
         r"(\mu = 0)",
         r"\mathrm{or}\ (\mu > 0):\quad b \leftarrow \mu\,b + \dfrac{g}{\sqrt{\tilde{v}} + "
         r"\epsilon},\ \ \theta \leftarrow \theta - \eta\,b"),
        "Divides each step by a running root-mean-square of that weight's gradients, so "
        "every weight moves at a similar pace.",
        "torch.optim.RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered)",
        _rmsprop_twin,
        symbols="θ is a parameter, g its gradient, η the learning rate, α alpha, ε eps, "
                "μ the momentum, λ the weight decay; v, ḡ and b start at 0."),
    ("optimizer", "adam"): Formula(
        "Adam", (r"g \leftarrow g + \lambda\,\theta",) + _ADAM_MOMENTS,
        "Momentum and RMSprop together: a running mean of the gradient divided by the root "
        "of a running mean of its square, both corrected for starting at 0.",
        "torch.optim.Adam(params, lr, betas, eps, weight_decay, amsgrad)", _adam_twin,
        symbols=_ADAM_SYMBOLS),
    ("optimizer", "adamw"): Formula(
        "AdamW", (r"\theta \leftarrow \theta\,(1 - \eta\,\lambda)",) + _ADAM_MOMENTS,
        "Adam with decoupled weight decay: the weights shrink directly, not through the "
        "gradient, so the decay is not rescaled by Adam's denominator.",
        "torch.optim.AdamW(params, lr, betas, eps, weight_decay, amsgrad)",
        lambda p, g, state, lr, o, t: _adam_twin(p, g, state, lr, o, t, decoupled=True),
        symbols=_ADAM_SYMBOLS),
}
