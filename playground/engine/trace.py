"""One training step, shown and not taken: what ``Trainer.step_batch`` would do on some rows.

``trace(trainer, rows)`` computes, for training-split rows (default: the next batch
``step_batch`` would take), every number of the step in the run's dtype, with the engine's own
formulas (``layers``, ``losses``, ``regularization``, ``clipping``, ``optimizers``):

    forward    module by module (training mode): a linear layer's z = a W^T + b, each
               activation, batchnorm on the rows' statistics (mean, biased variance, x_hat),
               dropout with the mask the real step would draw (from a copy of the dropout
               stream), then the loss with its fused output activation, per row and as the
               batch mean
    backward   dL/d(output) and dL/d(input) of every module, dL/d(parameter) of every
               parameter (what ``loss.backward()`` leaves in ``.grad``)
    then       the L1/L2 term added to every dense weight's gradient, clipping (norm: the total
               norm and the factor; value: which entries were clipped), and the optimizer's
               update from its current state at the current learning rate, with the state it
               reads and the state it would write

Nothing of the trainer changes: not the weights, not batchnorm's running statistics, not the
random streams, not the optimizer's state, not the gradient buffer. A perceptron's trace is its
rule, row by row (``PerceptronTrace``).

Every tensor dict is keyed by ``state_dict`` names (``"0.weight"``) in parameter order, with the
parameter's shape. Rows are in the order given; arrays are ``(n_rows, units)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from playground.engine import clipping, losses
from playground.engine.activations import ACTIVATION_CODES, activation_backward, apply
from playground.engine.layers import batch_statistics, batchnorm_backward
from playground.engine.optimizers import Optimizer
from playground.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.engine.trainer import Trainer

#: torch.nn's class for each module kind and activation (the equivalent nn.Sequential)
TORCH_MODULES = {"linear": "Linear", "batchnorm": "BatchNorm1d", "dropout": "Dropout",
                 "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
                 "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU"}
#: the optimizer state buffers each rule reads and writes (given its options)
_STATE_BUFFERS = {"sgd": ("momentum_buffer",),
                  "rmsprop": ("square_avg", "grad_avg", "momentum_buffer"),
                  "adam": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
                  "adamw": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")}
BATCHNORM_REFUSAL = "Expected more than 1 value per channel when training"


class TraceError(PlaygroundError):
    """Rows that cannot be traced; ``suggested_rows`` is a batch that can, when there is one
    (for a single row through batchnorm: the row's batch)."""

    def __init__(self, message: str, suggested_rows: np.ndarray | None = None) -> None:
        super().__init__(message)
        self.suggested_rows = suggested_rows


# --- the records ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchNormStats:
    """A batchnorm module's batch statistics, per unit (n_units,), and x_hat (n, n_units):
    x_hat = (x - mean) * invstd, invstd = 1 / sqrt(var + eps), var biased (divided by n).
    ``running_*`` are the statistics before the step, ``running_*_after`` what the step would
    write: (1 - momentum) running + momentum stat, with the unbiased variance var n / (n - 1)."""

    mean: np.ndarray
    var: np.ndarray
    invstd: np.ndarray
    xhat: np.ndarray
    eps: float
    momentum: float
    running_mean: np.ndarray
    running_var: np.ndarray
    running_mean_after: np.ndarray
    running_var_after: np.ndarray


@dataclass(frozen=True)
class DropoutMask:
    """A dropout module's draw: ``uniforms`` u (n, units) from the dropout stream, ``keep`` =
    u >= p, and output = input * keep * scale with scale = 1 / (1 - p) (inverted dropout)."""

    p: float
    scale: float
    uniforms: np.ndarray
    keep: np.ndarray


@dataclass(frozen=True)
class ModuleStep:
    """One module of the equivalent ``nn.Sequential`` on the traced rows, training mode.

    ``kind``: 'linear', 'batchnorm', 'dropout' or the activation's name (``torch`` tells a
    Linear from an Identity activation layer, both 'linear'); ``input`` (n, n_in) and
    ``output`` (n, n_out) (a linear module's output is its pre-activation z = a W^T + b);
    ``grad_output`` dL/d(output), ``grad_input`` dL/d(input). ``params`` holds the tensors the
    module used ('weight', 'bias': W (out, in) and b, or batchnorm's gamma and beta) and
    ``grads`` their dL/d(parameter), both keyed by the short name.
    """

    index: int
    kind: str
    torch: str
    input: np.ndarray
    output: np.ndarray
    grad_output: np.ndarray
    grad_input: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    batchnorm: BatchNormStats | None = None
    dropout: DropoutMask | None = None

    @property
    def activation(self) -> str | None:
        """The activation's name for an activation module, else None."""
        return self.kind if self.torch not in ("Linear", "BatchNorm1d", "Dropout") else None


@dataclass(frozen=True)
class LossStep:
    """The loss with its output activation fused (PyTorch's BCEWithLogitsLoss,
    CrossEntropyLoss, MSELoss): ``logits`` z (n, k); ``prediction`` sigmoid(z), softmax(z) or
    z itself (mse); ``target`` as the engine trains on it ((n, 1) 0/1 floats for bce, (n,)
    class indices for cross_entropy, (n, t) targets for mse, standardized when the data
    standardizes targets); ``per_row`` (n,) (mse: the mean over the row's outputs);
    ``mean`` the batch's loss (no penalty); ``grad_logits`` dL/dz (n, k)."""

    name: str
    output_activation: str
    logits: np.ndarray
    prediction: np.ndarray
    target: np.ndarray
    per_row: np.ndarray
    mean: float
    grad_logits: np.ndarray


@dataclass(frozen=True)
class RegularizationStep:
    """``terms[key]`` = rate * sign(w) (l1) or rate * w (l2), added to the gradient of every
    dense weight (not biases, not batchnorm); empty for kind 'none' or rate 0. ``grads`` is
    the gradient afterwards, every parameter."""

    kind: str
    rate: float
    terms: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]


@dataclass(frozen=True)
class ClipStep:
    """Clipping over all parameters at once (torch.nn.utils). ``total_norm`` = ||g||_2 of the
    regularized gradient (computed in every mode); norm mode: ``factor`` = min(1, c /
    (total_norm + 1e-6)) scales every entry; value mode: ``clipped[key]`` marks the entries
    with |g| > c, set to +-c. ``grads`` is what the optimizer is handed."""

    kind: str
    threshold: float | None
    total_norm: float
    factor: float | None
    clipped: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]


@dataclass(frozen=True)
class OptimizerStep:
    """The torch.optim update of every parameter from the optimizer's current state.

    ``step`` is the count this update makes (torch's ``state["step"]``, 1-based; Adam's bias
    corrections use it). ``state_before``/``state_after`` map each buffer the rule uses
    (momentum_buffer; square_avg, grad_avg; exp_avg, exp_avg_sq, max_exp_avg_sq) to its value
    per parameter; a buffer not created yet reads as zeros, except SGD's momentum buffer on its
    first step (``first_momentum``), which torch sets to the gradient. ``terms`` holds the
    rule's intermediate arrays per parameter: ``grad`` (what the rule reads: the clipped
    gradient plus weight_decay * p for sgd/rmsprop/adam), ``direction`` (update = -lr *
    direction, except AdamW's decay), ``denominator`` (rmsprop, adam). ``scalars`` holds
    Adam's ``bias_correction1`` = 1 - beta1^t, ``bias_correction2`` = 1 - beta2^t and
    ``step_size`` = lr / bias_correction1, and AdamW's ``decay`` = 1 - lr weight_decay.
    ``update`` = params_after - params_before."""

    name: str
    lr: float
    options: dict[str, Any]
    step: int
    first_momentum: bool
    state_before: dict[str, dict[str, np.ndarray]]
    state_after: dict[str, dict[str, np.ndarray]]
    terms: dict[str, dict[str, np.ndarray]]
    scalars: dict[str, float]
    params_before: dict[str, np.ndarray]
    params_after: dict[str, np.ndarray]
    update: dict[str, np.ndarray]


@dataclass(frozen=True)
class StepTrace:
    """An MLP's training step on ``rows``, computed and not taken (see the module docstring).
    ``inputs`` (n, n_features) are the model inputs (after the feature map and
    standardization); ``grads`` are dL/d(parameter) before regularization and clipping;
    ``lr`` is the schedule's current learning rate."""

    rows: np.ndarray
    dtype: str
    inputs: np.ndarray
    modules: tuple[ModuleStep, ...]
    loss: LossStep
    grads: dict[str, np.ndarray]
    regularization: RegularizationStep
    clip: ClipStep
    optimizer: OptimizerStep
    lr: float
    schedule: str
    kind: str = "mlp"

    @property
    def update(self) -> dict[str, np.ndarray]:
        return self.optimizer.update

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: PRODUCT.md's ``playground trace --json`` object."""
        return step_dict(self)


@dataclass(frozen=True)
class PerceptronRow:
    """Rosenblatt's rule on one row: z = w x + b per unit (n_units,) with the weights before
    this row, prediction [z > 0], target 0/1 (one-vs-rest per unit), error = target -
    prediction; a unit with a mistake (error != 0) moves by lr * error * x (and lr * error on
    its bias). ``weight``/``bias`` are the values after this row."""

    row: int
    x: np.ndarray
    z: np.ndarray
    prediction: np.ndarray
    target: np.ndarray
    error: np.ndarray
    weight: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class PerceptronTrace:
    """A perceptron's rule over ``rows`` in order (one update per row, as training does),
    computed and not taken. ``params_before``/``params_after``/``update`` are keyed
    '0.weight' (n_units, n_features) and '0.bias'."""

    rows: np.ndarray
    dtype: str
    inputs: np.ndarray
    lr: float
    steps: tuple[PerceptronRow, ...]
    params_before: dict[str, np.ndarray]
    params_after: dict[str, np.ndarray]
    update: dict[str, np.ndarray]
    kind: str = "perceptron"

    @property
    def mistakes(self) -> int:
        """Rows with a mistake on at least one unit."""
        return sum(bool(np.any(s.error != 0)) for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return perceptron_dict(self)


# --- which rows ---------------------------------------------------------------------------------

def _copy_rng(gen: np.random.Generator) -> np.random.Generator:
    """A generator in the same state, drawing the same numbers; ``gen`` is left alone."""
    bits = type(gen.bit_generator)()
    bits.state = gen.bit_generator.state
    return np.random.Generator(bits)


def epoch_order(trainer: Trainer) -> tuple[np.ndarray, int]:
    """(this epoch's sample order, samples done): mid-epoch the trainer's, at an epoch
    boundary the order the next epoch will draw (from a copy of the shuffle stream)."""
    t = trainer
    if t._order is not None:
        return t._order, t._pos
    if t.config.train.shuffle:
        return _copy_rng(t._shuffle_rng).permutation(t.n_train), 0
    return np.arange(t.n_train), 0


def next_rows(trainer: Trainer) -> np.ndarray:
    """The training rows ``step_batch`` would take next (one sample for a perceptron)."""
    order, pos = epoch_order(trainer)
    return order[pos:pos + trainer.batch_size].copy()


def batch_of(trainer: Trainer, row: int) -> np.ndarray:
    """The batch of this epoch's order (the next epoch's at a boundary) that holds ``row``."""
    order, _ = epoch_order(trainer)
    at = int(np.flatnonzero(order == row)[0])
    start = at - at % trainer.batch_size
    return order[start:start + trainer.batch_size].copy()


def check_rows(trainer: Trainer, rows) -> np.ndarray:
    """``rows`` as an int64 array of training-split indices; TraceError naming the problem."""
    n = trainer.n_train
    values = np.atleast_1d(np.asarray(rows))
    if values.ndim != 1 or values.size == 0:
        raise TraceError("give at least one training row (a list of row indices)")
    out = np.empty(values.size, np.int64)
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TraceError(f"row {v!r:.40} is not a whole number; rows are training-split "
                             f"indices 0 to {n - 1}")
        if not 0 <= v < n:
            raise TraceError(f"row {v} is out of range: the training split has {n} rows "
                             f"(0 to {n - 1})")
        out[i] = v
    return out


def format_rows(rows: np.ndarray, limit: int = 12) -> str:
    """'3,17,22' (as --rows takes them), shortened past ``limit`` rows."""
    shown = ",".join(str(int(r)) for r in rows[:limit])
    return shown + (f",... ({len(rows)} rows)" if len(rows) > limit else "")


# --- the trace -----------------------------------------------------------------------------------

def trace(trainer: Trainer, rows=None) -> StepTrace | PerceptronTrace:
    """The step ``step_batch`` would take on training rows ``rows`` (default: the next batch),
    computed and not taken; see the module docstring. TraceError for rows out of range, and
    for a single row through batchnorm (PyTorch refuses it), suggesting the row's batch."""
    rows = trainable_rows(trainer, rows)
    if trainer.perceptron:
        return _perceptron(trainer, rows)
    with np.errstate(all="ignore"):  # a diverged run traces to NaN, not warnings
        return _mlp(trainer, rows)


def trainable_rows(trainer: Trainer, rows=None) -> np.ndarray:
    """``rows`` checked as rows a training step can take (default: the next batch): TraceError
    for rows out of range, and for a single row through batchnorm (PyTorch refuses it),
    suggesting the row's batch."""
    rows = next_rows(trainer) if rows is None else check_rows(trainer, rows)
    net = trainer.model
    if not trainer.perceptron and rows.size == 1 and net.batchnorms:
        index = next(i for i, m in enumerate(net.modules) if m.kind == "batchnorm")
        batch = batch_of(trainer, int(rows[0]))
        raise TraceError(
            f"a batch of 1 row cannot go through batchnorm (module {index}) in training mode: "
            f"PyTorch refuses it (\"{BATCHNORM_REFUSAL}\"), as one row has no batch variance; "
            f"trace it with other rows, e.g. its batch: rows {format_rows(batch)}", batch)
    return rows


@np.errstate(all="ignore")
def row_losses(trainer: Trainer, rows) -> np.ndarray:
    """Each training row's own loss (n,), in evaluation mode (batchnorm on its running
    statistics, no dropout), as ``evaluate`` computes the loss, without the penalty: what
    the model now makes of those rows. A perceptron's: 1 for a mistake, else 0."""
    rows = check_rows(trainer, rows)
    x = trainer.x_train[rows]
    if trainer.perceptron:
        return (trainer.model.predict(x) != trainer.dataset.y_train[rows]).astype(np.float64)
    return _loss(trainer.loss_name, trainer.logits(x), trainer.y_train[rows]).per_row


def _mlp(trainer: Trainer, rows: np.ndarray) -> StepTrace:
    net, dtype = trainer.model, trainer.dtype
    x = trainer.x_train[rows]
    uniforms = None
    if net.dropout_width:
        uniforms = _copy_rng(trainer._dropout_rng).random(rows.size * net.dropout_width)
    records = _forward(net, x, uniforms)
    logits = records[-1]["output"]
    loss = _loss(trainer.loss_name, logits, trainer.y_train[rows])
    flat_grads = np.zeros(net.n_params, dtype)
    g = loss.grad_logits
    for i in range(len(net.modules) - 1, -1, -1):
        records[i]["grad_output"] = g
        g = _backward(net.modules[i], records[i], g, flat_grads[_module_slice(net, i)])
        records[i]["grad_input"] = g
    shapes = {key: shape for key, (shape, _) in net.state_spec().items()}
    split = _splitter(net.param_slices, shapes)
    modules = tuple(_module_step(i, m, records[i], shapes, split(flat_grads))
                    for i, m in enumerate(net.modules))
    params = net.params.copy()
    reg, g_reg = _regularize(trainer, params, flat_grads, split, shapes)
    clip, g_clip = _clip(trainer, g_reg, split)
    opt = _optimizer(trainer, params, g_clip, split)
    return StepTrace(rows=rows, dtype=dtype.name, inputs=x, modules=modules, loss=loss,
                     grads=split(flat_grads), regularization=reg, clip=clip, optimizer=opt,
                     lr=float(trainer.lr), schedule=trainer.scheduler.name)


def _module_slice(net, i: int) -> slice:
    """The module's parameters in the flat buffer (weight then bias); empty without any."""
    sl_w = net.param_slices.get(f"{i}.weight")
    if sl_w is None:
        return slice(0, 0)
    return slice(sl_w.start, net.param_slices[f"{i}.bias"].stop)


def _splitter(param_slices: dict[str, slice], shapes: dict[str, tuple[int, ...]]):
    """flat (n_params,) -> {state_dict key: view of shape}."""
    def split(flat: np.ndarray) -> dict[str, np.ndarray]:
        return {key: flat[sl].reshape(shapes[key]) for key, sl in param_slices.items()}
    return split


def _forward(net, x: np.ndarray, uniforms: np.ndarray | None) -> list[dict[str, Any]]:
    """Training-mode forward pass without touching the modules: one record per module."""
    records: list[dict[str, Any]] = []
    a, cursor, n = x, 0, x.shape[0]
    for m in net.modules:
        rec: dict[str, Any] = {"input": a}
        if m.kind == "linear":
            rec["params"] = {"weight": m.weight.copy(), "bias": m.bias.copy()}
            out = a @ rec["params"]["weight"].T + rec["params"]["bias"]
        elif m.kind == "activation":
            out = a if m.code == 0 else apply(m.name, a)
        elif m.kind == "batchnorm":
            gamma, beta = m.weight.copy(), m.bias.copy()
            mean, var, invstd, xhat = batch_statistics(a, m.eps)
            mom = m.momentum
            rec["params"] = {"weight": gamma, "bias": beta}
            rec["batchnorm"] = BatchNormStats(
                mean=mean, var=var, invstd=invstd, xhat=xhat, eps=m.eps, momentum=mom,
                running_mean=m.running_mean.copy(), running_var=m.running_var.copy(),
                running_mean_after=m.running_mean * (1 - mom) + mom * mean,
                running_var_after=m.running_var * (1 - mom) + mom * (var * (n / (n - 1))))
            out = xhat * gamma + beta
        else:  # dropout: the engine's draw order, module by module, row-major
            width = a.shape[1]
            u = uniforms[cursor:cursor + n * width].reshape(n, width)
            cursor += n * width
            keep = u >= m.p
            scaled = keep.astype(a.dtype) / a.dtype.type(1 - m.p)
            rec["dropout"] = DropoutMask(p=m.p, scale=1 / (1 - m.p), uniforms=u, keep=keep)
            rec["mask"] = scaled
            out = a * scaled
        rec["output"] = out
        records.append(rec)
        a = out
    return records


def _backward(module, rec: dict[str, Any], g: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """dL/d(input) of one module from g = dL/d(output); its parameter gradients into ``grads``
    (the module's slice of the flat gradient)."""
    a = rec["input"]
    if module.kind == "linear":
        w = rec["params"]["weight"]
        n_out, n_in = w.shape
        grads[:n_out * n_in] = (g.T @ a).reshape(-1)
        grads[n_out * n_in:] = g.sum(axis=0)
        return g @ w
    if module.kind == "activation":
        if module.code == 0:
            return g
        out = np.empty_like(g)
        activation_backward(ACTIVATION_CODES[module.name], np.ascontiguousarray(a),
                            rec["output"], np.ascontiguousarray(g), out)
        return out
    if module.kind == "batchnorm":
        bn: BatchNormStats = rec["batchnorm"]
        units = g.shape[1]
        dx, grads[:units], grads[units:] = batchnorm_backward(g, bn.xhat, bn.invstd,
                                                              rec["params"]["weight"])
        return dx
    return g * rec["mask"]


def _module_step(i: int, m, rec: dict[str, Any], shapes, grads: dict[str, np.ndarray]
                 ) -> ModuleStep:
    kind = m.name if m.kind == "activation" else m.kind
    torch_name = "Identity" if kind == "linear" and m.kind == "activation" else TORCH_MODULES[kind]
    own = {name: grads[f"{i}.{name}"] for name in m.param_shapes}
    return ModuleStep(index=i, kind=kind, torch=torch_name, input=rec["input"],
                      output=rec["output"], grad_output=rec["grad_output"],
                      grad_input=rec["grad_input"], params=rec.get("params", {}), grads=own,
                      batchnorm=rec.get("batchnorm"), dropout=rec.get("dropout"))


def _loss(name: str, z: np.ndarray, y: np.ndarray) -> LossStep:
    """The engine's loss (mean and dL/dz) plus each row's own value."""
    mean, grad = losses.LOSS_FUNCTIONS[name](z, y)
    if name == "bce":
        prediction = losses.sigmoid(z)
        per_row = (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))[:, 0]
    elif name == "cross_entropy":
        prediction = losses.softmax(z)
        shifted = z - z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(shifted).sum(axis=1))
        per_row = lse - shifted[np.arange(z.shape[0]), y]
    else:
        prediction = z
        per_row = ((z - y) ** 2).mean(axis=1)
    return LossStep(name=name, output_activation=losses.OUTPUT_ACTIVATIONS[name], logits=z,
                    prediction=prediction, target=y, per_row=per_row, mean=float(mean),
                    grad_logits=grad)


def _regularize(trainer: Trainer, params: np.ndarray, grads: np.ndarray, split,
                shapes: dict[str, tuple[int, ...]]) -> tuple[RegularizationStep, np.ndarray]:
    """``regularization.apply``'s term on every dense weight, kept per tensor."""
    cfg = trainer.config.train.regularization
    out = grads  # shared when nothing is added: a trace's arrays are never written again
    terms: dict[str, np.ndarray] = {}
    if cfg.kind != "none" and cfg.rate != 0:
        out = grads.copy()
        net = trainer.model
        for key, sl in net.param_slices.items():
            if sl not in net.weight_slices:
                continue
            w = params[sl]
            term = cfg.rate * (np.sign(w) if cfg.kind == "l1" else w)
            out[sl] += term
            terms[key] = term.reshape(shapes[key])
    return RegularizationStep(kind=cfg.kind, rate=float(cfg.rate), terms=terms,
                              grads=split(out)), out


def _clip(trainer: Trainer, grads: np.ndarray, split) -> tuple[ClipStep, np.ndarray]:
    cfg = trainer.config.train.clip
    out = grads if cfg.norm is None and cfg.value is None else grads.copy()
    total = float(np.sqrt(np.dot(grads, grads)))
    factor = None
    clipped: dict[str, np.ndarray] = {}
    if cfg.norm is not None:
        kind, threshold = "norm", float(cfg.norm)
        clipping.clip_norm(out, threshold)
        factor = min(threshold / (total + 1e-6), 1.0)
    elif cfg.value is not None:
        kind, threshold = "value", float(cfg.value)
        clipped = split(np.abs(grads) > threshold)
        clipping.clip_value(out, threshold)
    else:
        kind, threshold = "none", None
    return ClipStep(kind=kind, threshold=threshold, total_norm=total, factor=factor,
                    clipped=clipped, grads=split(out)), out


def used_buffers(name: str, options: dict[str, Any]) -> tuple[str, ...]:
    """The state buffers an optimizer rule reads and writes with these options."""
    use = {"momentum_buffer": options.get("momentum", 0) != 0 if name in ("sgd", "rmsprop")
           else False,
           "square_avg": True, "grad_avg": bool(options.get("centered")),
           "exp_avg": True, "exp_avg_sq": True, "max_exp_avg_sq": bool(options.get("amsgrad"))}
    return tuple(b for b in _STATE_BUFFERS[name] if use[b])


def _optimizer(trainer: Trainer, params: np.ndarray, grads: np.ndarray, split
               ) -> OptimizerStep:
    """The engine's own rule run on copies of the parameters and of the optimizer's state;
    the rule's intermediate terms recomputed alongside for showing."""
    live = trainer.optimizer
    name, o, lr = live.name, dict(live.options), float(trainer.lr)
    dtype = params.dtype
    buffers = used_buffers(name, o)
    opt = Optimizer(name, o, params.size, dtype)
    opt.state = {k: v.copy() for k, v in live.state.items() if k in buffers}
    opt.steps = live.steps
    first = name == "sgd" and "momentum_buffer" not in live.state
    before = {b: split(live.state[b].copy() if b in live.state else np.zeros(params.size, dtype))
              for b in buffers}
    after_params = params.copy()
    opt.step(after_params, grads.copy(), lr)
    after = {b: split(opt.state[b]) for b in buffers}
    t = opt.steps
    wd = o.get("weight_decay", 0.0)
    read = grads + wd * params if wd != 0 and name != "adamw" else grads
    terms: dict[str, np.ndarray] = {"grad": read}
    scalars: dict[str, float] = {}
    if name == "sgd":
        mu = o["momentum"]
        if mu != 0:
            buf = opt.state["momentum_buffer"]
            terms["direction"] = read + mu * buf if o["nesterov"] else buf
        else:
            terms["direction"] = read
    elif name == "rmsprop":
        sq = opt.state["square_avg"]
        mean_sq = sq - opt.state["grad_avg"] ** 2 if o["centered"] else sq
        terms["denominator"] = np.sqrt(mean_sq) + o["eps"]
        terms["direction"] = (opt.state["momentum_buffer"] if o["momentum"] > 0
                              else read / terms["denominator"])
    else:
        beta1, beta2 = o["betas"]
        bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
        scalars.update(bias_correction1=bc1, bias_correction2=bc2, step_size=lr / bc1)
        if name == "adamw":
            scalars["decay"] = 1 - lr * wd
        v = opt.state["max_exp_avg_sq" if o["amsgrad"] else "exp_avg_sq"]
        terms["denominator"] = np.sqrt(v) / math.sqrt(bc2) + o["eps"]
        terms["direction"] = opt.state["exp_avg"] / bc1 / terms["denominator"]
    return OptimizerStep(name=name, lr=lr, options=o, step=t, first_momentum=first,
                         state_before=before, state_after=after,
                         terms={k: split(v) for k, v in terms.items()}, scalars=scalars,
                         params_before=split(params), params_after=split(after_params),
                         update=split(after_params - params))


# --- the perceptron ------------------------------------------------------------------------------

def _perceptron(trainer: Trainer, rows: np.ndarray) -> PerceptronTrace:
    """Rosenblatt's rule row by row on copies, in ``perceptron_steps``' arithmetic (z summed
    feature by feature in the run's dtype, so a mistake is decided exactly as training does)."""
    model, dtype = trainer.model, trainer.dtype
    w, b = model.weight.copy(), model.bias.copy()
    before = {"0.weight": w.copy(), "0.bias": b.copy()}
    lr = dtype.type(trainer.lr)
    targets = trainer._perceptron_targets
    steps = []
    for r in rows:
        xr = trainer.x_train[r]
        z = b.copy()
        for j in range(xr.size):
            z += w[:, j] * xr[j]
        prediction = (z > 0).astype(dtype)
        error = targets[r] - prediction
        wrong = error != 0
        step = lr * error
        w[wrong] += step[wrong, None] * xr
        b[wrong] += step[wrong]
        steps.append(PerceptronRow(row=int(r), x=xr.copy(), z=z, prediction=prediction,
                                   target=targets[r].copy(), error=error, weight=w.copy(),
                                   bias=b.copy()))
    after = {"0.weight": w, "0.bias": b}
    return PerceptronTrace(rows=rows, dtype=dtype.name, inputs=trainer.x_train[rows],
                           lr=float(trainer.lr), steps=tuple(steps), params_before=before,
                           params_after=after,
                           update={k: after[k] - before[k] for k in before})


# --- JSON -----------------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """Arrays as nested lists of Python numbers (non-finite floats as None: strict JSON),
    dicts and tuples walked; other values as they are."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return np.where(np.isfinite(value), value, None).tolist()
        return value.tolist()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _module_dict(m: ModuleStep) -> dict[str, Any]:
    # a module's input is the previous output, its dL/d(input) the previous grad_output and
    # its parameters the optimizer's params_before: each number once
    out: dict[str, Any] = {"index": m.index, "kind": m.kind, "output": m.output,
                           "grad_output": m.grad_output, "torch": m.torch}
    if m.batchnorm is not None:
        bn = m.batchnorm
        out.update(batch_mean=bn.mean, batch_var=bn.var, invstd=bn.invstd, xhat=bn.xhat,
                   eps=bn.eps, momentum=bn.momentum, running_mean_after=bn.running_mean_after,
                   running_var_after=bn.running_var_after)
    if m.dropout is not None:
        d = m.dropout
        out.update(p=d.p, scale=d.scale, mask=d.keep.astype(np.int64), uniforms=d.uniforms)
    return out


def step_dict(s: StepTrace) -> dict[str, Any]:
    """PRODUCT.md's keys (rows, loss, modules, grads, update) and the rest of the trace."""
    opt, clip = s.optimizer, s.clip
    out = {
        "rows": s.rows, "loss": s.loss.mean,
        "modules": [_module_dict(m) for m in s.modules],
        "grads": s.grads, "update": s.update,
        "kind": "mlp", "dtype": s.dtype, "inputs": s.inputs,
        "input_grad": s.modules[0].grad_input,
        "loss_function": s.loss.name, "output_activation": s.loss.output_activation,
        "loss_per_row": s.loss.per_row, "prediction": s.loss.prediction,
        "target": s.loss.target,
        "regularization": {"kind": s.regularization.kind, "rate": s.regularization.rate,
                           "terms": s.regularization.terms},
        "clip": {"kind": clip.kind, "threshold": clip.threshold,
                 "total_norm": clip.total_norm, "factor": clip.factor,
                 "clipped": {k: v.astype(np.int64) for k, v in clip.clipped.items()},
                 "grads": clip.grads},
        "lr": s.lr, "schedule": s.schedule,
        "optimizer": {"name": opt.name, "lr": opt.lr, "options": opt.options,
                      "step": opt.step, "first_momentum": opt.first_momentum,
                      "state_before": opt.state_before, "state_after": opt.state_after,
                      "scalars": opt.scalars, "params_before": opt.params_before,
                      "params_after": opt.params_after},
    }
    return plain(out)


def perceptron_dict(s: PerceptronTrace) -> dict[str, Any]:
    """A perceptron's trace: rows, the error rate over them as ``loss``, one linear module
    (its z for the rows, each with the weights before that row), no gradient (``grads``
    null: the rule has none), the update and every row's step."""
    z = np.stack([st.z for st in s.steps])
    out = {
        "rows": s.rows, "loss": s.mistakes / len(s.steps),
        "modules": [{"index": 0, "kind": "linear", "torch": "Linear", "output": z,
                     "grad_output": None}],
        "grads": None, "update": s.update, "kind": "perceptron", "dtype": s.dtype,
        "inputs": s.inputs,
        "lr": s.lr, "mistakes": s.mistakes,
        "steps": [{"row": st.row, "z": st.z, "prediction": st.prediction,
                   "target": st.target, "error": st.error,
                   "mistake": bool(np.any(st.error != 0))} for st in s.steps],
        "params_before": s.params_before, "params_after": s.params_after,
    }
    return plain(out)
