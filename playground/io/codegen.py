"""Source code of the current model for PyTorch and for Keras 3: layers, loss, optimizer,
learning-rate schedule, gradient clipping and L1/L2, for the user to train the model elsewhere.

The PyTorch code reproduces the engine: the same modules (state-dict keys match every export),
torch.optim and torch.optim.lr_scheduler with the run's settings, L1/L2 added to the Linear
weights' gradients and then clip_grad_norm_/clip_grad_value_, as in one engine step. The ``.py``
export embeds this same model code, so there is one generator of it.

A run that standardizes its regression targets (``data.standardize_target``) trains the
network on ``(y - TARGET_MEAN) / TARGET_STD``; the code holds those constants (the training
split's statistics when known, else placeholders to fill in from an export's
``preprocessing["standardize_target"]``) and its predictions undo them.

Keras has no exact counterpart for a few rules; the generated code uses the nearest one and
says so in a comment next to it (Adam's and RMSprop's epsilon, torch-style weight decay, SGD's
dampening, the plateau threshold). Regularization becomes a kernel regularizer whose penalty
has the engine's gradient: L1(rate), L2(rate / 2).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from playground import __version__
from playground.config import RunConfig
from playground.engine.activations import LEAKY_SLOPE
from playground.io.export_spec import HEADS, ExportSpec, Module, spec_for
from playground.io.keras_layers import keras_layers

#: torch.nn module of each engine activation
TORCH_ACTIVATIONS: dict[str, str] = {
    "linear": "nn.Identity()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()", "leaky_relu": f"nn.LeakyReLU({LEAKY_SLOPE!r})", "elu": "nn.ELU()",
    "gelu": "nn.GELU()", "silu": "nn.SiLU()",
}
TORCH_OPTIMIZERS: dict[str, str] = {
    "sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
}
TORCH_LOSSES: dict[str, tuple[str, str]] = {
    # loss: (module, what the targets must be)
    "bce": ("nn.BCEWithLogitsLoss()", "float 0/1 of shape (n, 1)"),
    "cross_entropy": ("nn.CrossEntropyLoss()", "class indices, int64 of shape (n,)"),
    "mse": ("nn.MSELoss()", "floats of shape (n, targets)"),
}
KERAS_LOSSES: dict[str, tuple[str, str]] = {
    "bce": ("keras.losses.BinaryCrossentropy(from_logits=True)",
            "[keras.metrics.BinaryAccuracy(threshold=0.0)]"),  # on logits: z > 0 is p > 0.5
    "cross_entropy": ("keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
                      '["accuracy"]'),
    "mse": ("keras.losses.MeanSquaredError()", "[]"),
}
TORCH_DTYPES = {"float32": "torch.float32", "float64": "torch.float64"}
WIDTH = 99  # generated lines stay within this many characters where they can


def _r(value: float) -> str:
    """A float as Python source that reads back to the same value."""
    return repr(float(value))


def _call(head: str, args: Sequence[str], indent: int) -> str:
    """``head(arg, ...)`` as source starting at column ``indent``; past ``WIDTH`` the
    arguments continue on lines aligned under the opening parenthesis."""
    one = f"{head}({', '.join(args)})"
    if indent + len(one) <= WIDTH or not args:
        return one
    pad = " " * (indent + len(head) + 1)
    lines = [f"{head}("]
    for i, arg in enumerate(args):
        piece = arg + (")" if i == len(args) - 1 else ",")
        start = indent if len(lines) == 1 else 0
        if lines[-1].endswith("(") or start + len(lines[-1]) + 1 + len(piece) <= WIDTH:
            lines[-1] += ("" if lines[-1].endswith("(") else " ") + piece
        else:
            lines.append(pad + piece)
    return "\n".join(lines)


def _comments(notes: Sequence[str], indent: int) -> str:
    """Each note as ``# `` comment lines wrapped to ``WIDTH``."""
    pad = " " * indent
    return "".join(textwrap.fill(n, WIDTH - indent, initial_indent=pad + "# ",
                                 subsequent_indent=pad + "#   ") + "\n" for n in notes)


def target_constants(spec: ExportSpec) -> str:
    """``TARGET_MEAN``/``TARGET_STD`` (lists, one number per target) when the network learned
    z-scored targets, else the empty string."""
    if not spec.scales_target:
        return ""
    pre = spec.preprocessing
    if pre.y_mean is not None:
        return (_comments(["the run z-scored its targets (data.standardize_target) with the "
                           "training split's mean and std: the network learns "
                           "(y - TARGET_MEAN) / TARGET_STD, and y = TARGET_STD * z + "
                           "TARGET_MEAN is the prediction in the data's units"], 0)
                + f"TARGET_MEAN = {[float(v) for v in pre.y_mean]!r}\n"
                + f"TARGET_STD = {[float(v) for v in pre.y_std]!r}\n")
    n = len(pre.targets)
    return (_comments(["the run z-scores its targets (data.standardize_target): the network "
                       "learns (y - TARGET_MEAN) / TARGET_STD with the training split's mean "
                       "and std; set them from an export's preprocessing[\"standardize_target\"] "
                       "(placeholders here) to predict in the data's units"], 0)
            + f"TARGET_MEAN = {[0.0] * n!r}\n" + f"TARGET_STD = {[1.0] * n!r}\n")


def _target_note(spec: ExportSpec) -> str:
    """What a fit() docstring says of regression targets the run standardizes."""
    return (",\n    z-scored as the run trains on them: (y - TARGET_MEAN) / TARGET_STD"
            if spec.scales_target else "")


def _line(code: str, comment: str, indent: int) -> str:
    """``code  # comment`` on one line, or the comment above the code when that is too long."""
    pad = " " * indent
    if indent + len(code) + 4 + len(comment) <= WIDTH:
        return f"{pad}{code}  # {comment}"
    return f"{pad}# {comment}\n{pad}{code}"


# --------------------------------------------------------------------------------- PyTorch

def torch_module(m: Module) -> str:
    if m.kind == "linear":
        return f"nn.Linear({m.n_in}, {m.n_out})"
    if m.kind == "batchnorm":
        return f"nn.BatchNorm1d({m.n_out}, eps={_r(m.eps)}, momentum={_r(m.momentum)})"
    if m.kind == "dropout":
        return f"nn.Dropout({_r(m.p)})"
    return TORCH_ACTIVATIONS[m.activation]


def torch_model_code(spec: ExportSpec) -> str:
    """``DTYPE`` and ``build_model()``: the ``nn.Sequential`` whose state_dict() keys match."""
    lines = []
    last = len(spec.modules) - 1
    for m in spec.modules:
        note = f"{m.index}"
        if m.index == last:
            note += f": output logits (output activation: {HEADS[spec.loss]})"
        lines.append(_line(f"{torch_module(m)},", note, 8))
    body = "\n".join(lines)
    return f'''DTYPE = {TORCH_DTYPES[spec.dtype]}


def build_model() -> nn.Sequential:
    """The network as torch.nn.Sequential; its state_dict() keys and shapes are playground's."""
    return nn.Sequential(
{body}
    ).to(DTYPE)
'''


def _torch_optimizer(config: RunConfig) -> str:
    opt = config.train.optimizer
    args = ["model.parameters()"]
    for key, value in opt.options:
        if isinstance(value, tuple):
            args.append(f"{key}=({', '.join(_r(v) for v in value)})")
        elif isinstance(value, bool):
            args.append(f"{key}={value}")
        else:
            args.append(f"{key}={_r(value)}")
    return _call(f"torch.optim.{TORCH_OPTIMIZERS[opt.name]}", args, 16)


def _torch_scheduler(config: RunConfig) -> str:
    s = config.train.schedule
    o = dict(s.options)
    sched = "torch.optim.lr_scheduler"
    if s.name == "step":
        args = [f"step_size={o['step_size']}", f"gamma={_r(o['gamma'])}"]
        return _call(f"{sched}.StepLR", ["optimizer", *args], 16)
    if s.name == "exponential":
        return _call(f"{sched}.ExponentialLR", ["optimizer", f"gamma={_r(o['gamma'])}"], 16)
    if s.name == "cosine":
        t_max = o["t_max"] if o["t_max"] is not None else max(config.train.epochs, 1)
        args = [f"T_max={t_max}", f"eta_min={_r(o['eta_min'])}"]
        return _call(f"{sched}.CosineAnnealingLR", ["optimizer", *args], 16)
    if s.name == "plateau":
        args = ['mode="min"', f'factor={_r(o["factor"])}', f'patience={o["patience"]}',
                f'threshold={_r(o["threshold"])}', 'threshold_mode="rel"',
                f'min_lr={_r(o["min_lr"])}']
        return _call(f"{sched}.ReduceLROnPlateau", ["optimizer", *args], 16)
    return "None  # constant learning rate"


def _torch_penalty_and_clip(config: RunConfig) -> list[str]:
    reg, clip = config.train.regularization, config.train.clip
    lines = []
    if reg.kind != "none" and reg.rate > 0:
        term = "torch.sign(m.weight)" if reg.kind == "l1" else "m.weight"
        lines += [
            f"    # {reg.kind.upper()}: {'rate * sign(w)' if reg.kind == 'l1' else 'rate * w'} "
            "added to each Linear weight's gradient (not biases,",
            "    # not batchnorm), before clipping; the penalty is not part of the loss",
            "    with torch.no_grad():",
            "        for m in model:",
            "            if isinstance(m, nn.Linear):",
            f"                m.weight.grad.add_({term}, alpha={_r(reg.rate)})",
        ]
    if clip.norm is not None:
        lines.append(_line(f"torch.nn.utils.clip_grad_norm_(model.parameters(), "
                           f"max_norm={_r(clip.norm)})", "over all parameters at once", 4))
    elif clip.value is not None:
        lines.append(f"    torch.nn.utils.clip_grad_value_(model.parameters(), "
                     f"clip_value={_r(clip.value)})")
    return lines


def _torch_mlp_training(spec: ExportSpec) -> str:
    config = spec.config
    train = config.train
    loss_module, targets = TORCH_LOSSES[spec.loss]
    step = "\n".join(_torch_penalty_and_clip(config))
    step = step + "\n" if step else ""
    batch = "len(x_train)" if train.batch_size == 0 else str(train.batch_size)
    order = "torch.randperm(n)" if train.shuffle else "torch.arange(n)"
    shuffle = "shuffled each epoch" if train.shuffle else "no shuffling"
    if config.train.schedule.name == "plateau":
        sched_step = ("        # plateau watches the test loss when there is a test split\n"
                      "        scheduler.step(train_loss if test_loss is None else test_loss)\n")
    elif config.train.schedule.name == "constant":
        sched_step = ""
    else:
        sched_step = "        scheduler.step()\n"
    return f'''def make_training(model: nn.Sequential):
    """The run's loss, optimizer and learning-rate schedule (stepped once per epoch)."""
    loss_fn = {loss_module}  # mean over the batch
    optimizer = {_torch_optimizer(config)}
    scheduler = {_torch_scheduler(config)}
    return loss_fn, optimizer, scheduler


def train_step(model, loss_fn, optimizer, xb, yb) -> float:
    """One batch, as one engine step: forward in training mode, backward,
    regularization, clipping, optimizer step. Returns the batch loss."""
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
{step}    optimizer.step()
    return loss.item()


def fit(model, x_train, y_train, x_test=None, y_test=None, epochs={train.epochs}):
    """Train as playground does: batches of {batch} in order ({shuffle}), then a full
    evaluation-mode pass, then the schedule's step.

    x: model inputs (the features after standardization), DTYPE tensors (n, {spec.n_features}).
    y: {targets}{_target_note(spec)}.
    Returns each epoch's (train loss, test loss).
    """
    loss_fn, optimizer, scheduler = make_training(model)
    n = len(x_train)
    batch_size = {batch}
    history = []
    for _ in range(epochs):
        order = {order}
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            train_step(model, loss_fn, optimizer, x_train[idx], y_train[idx])
        model.eval()
        with torch.no_grad():
            train_loss = loss_fn(model(x_train), y_train).item()
            test_loss = (None if x_test is None or len(x_test) == 0
                         else loss_fn(model(x_test), y_test).item())
        history.append((train_loss, test_loss))
{sched_step}    return history
'''


def _torch_perceptron_training(spec: ExportSpec) -> str:
    train = spec.config.train
    order = "torch.randperm(n).tolist()" if train.shuffle else "range(n)"
    lr = _r(train.optimizer.lr)
    return f'''def fit(model, x_train, y_train, epochs={train.epochs}, lr={lr}):
    """Rosenblatt's rule, one sample at a time: w += lr (y - y_hat) x, b += lr (y - y_hat),
    with y_hat = [w . x + b > 0]; K > 2 classes train K one-vs-rest units. An epoch without a
    mistake is convergence. x: model inputs, DTYPE (n, {spec.n_features}); y: class indices (n,).
    Returns the epoch it converged at, or None."""
    linear = model[0]
    units = linear.out_features
    targets = (y_train.reshape(-1, 1) if units == 1
               else nn.functional.one_hot(y_train, units)).to(DTYPE)
    n = len(x_train)
    with torch.no_grad():
        for epoch in range(1, epochs + 1):
            mistakes = 0
            for i in {order}:
                err = targets[i] - (linear(x_train[i]) > 0).to(DTYPE)
                if err.any():
                    linear.weight += lr * err[:, None] * x_train[i]
                    linear.bias += lr * err
                    mistakes += 1
            if mistakes == 0:
                return epoch
    return None
'''


def torch_training_code(spec: ExportSpec) -> str:
    """``make_training``/``train_step``/``fit`` (MLP) or the perceptron rule's ``fit``."""
    if spec.loss == "perceptron":
        return _torch_perceptron_training(spec)
    return _torch_mlp_training(spec)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _header(spec: ExportSpec, framework: str) -> str:
    cfg = spec.config
    what = ("a perceptron" if spec.loss == "perceptron"
            else f"an MLP, loss {spec.loss}, optimizer {cfg.train.optimizer.name}")
    return (f'"""{framework} code for a playground model ({what}; '
            f'{_count(spec.n_features, "input")}, {_count(spec.n_outputs, "output")}).'
            f'\n\nGenerated by playground {__version__}. '
            'Inputs are model inputs: the features after\nstandardization, as the app '
            'prepares them.\n"""\n')


def pytorch_code(config: RunConfig, n_features: int, n_outputs: int, *, loss: str,
                 preprocessing: Mapping[str, Any] | None = None) -> str:
    """A PyTorch module's source: ``build_model()``, and the run's training setup.

    ``loss`` is the resolved loss (``Trainer.loss_name``: bce, cross_entropy, mse or
    perceptron); ``n_features``/``n_outputs`` are the model's input and output widths;
    ``preprocessing`` (``Dataset.preprocessing()``), when given, supplies the target
    statistics of a run that standardizes its targets (``target_constants``).
    """
    spec = spec_for(config, n_features, n_outputs, loss, preprocessing)
    constants = target_constants(spec)
    return (_header(spec, "PyTorch") + "\nimport torch\nfrom torch import nn\n\n"
            + (constants + "\n" if constants else "")
            + torch_model_code(spec) + "\n\n" + torch_training_code(spec))


# ----------------------------------------------------------------------------------- Keras

def _keras_regularizer(config: RunConfig) -> str | None:
    reg = config.train.regularization
    if reg.kind == "l1" and reg.rate > 0:
        return f"regularizers.L1({_r(reg.rate)})"
    if reg.kind == "l2" and reg.rate > 0:
        return f"regularizers.L2({_r(reg.rate / 2)})"
    return None


def keras_model_code(spec: ExportSpec) -> str:
    """``build_model()``: the ``keras.Sequential`` that loads the ``.weights.h5`` export."""
    regularizer = _keras_regularizer(spec.config)
    lines = [f"        keras.Input(shape=({spec.n_features},)),"]
    for layer in keras_layers(spec):
        args = list(layer.args)
        if layer.cls == "Dense" and regularizer:
            args.append(f"kernel_regularizer={regularizer}")
        lines.append(_line(f"layers.{layer.cls}({', '.join(args)}),",
                           f"{layer.name}: {layer.comment}", 8))
    body = "\n".join(lines)
    reg = spec.config.train.regularization
    doc = ('The network as keras.Sequential; model.load_weights("model.weights.h5") loads '
           f"playground's Keras export into it. It outputs logits (output activation: "
           f"{HEADS[spec.loss]}).")
    if regularizer:
        doc += (f" {reg.kind.upper()} rate {_r(reg.rate)} on the dense kernels: the penalty "
                f"{'rate * sum|w|' if reg.kind == 'l1' else '(rate / 2) * sum w^2'} has the "
                "engine's gradient; Keras adds it to the reported loss, the engine does not.")
    doc = textwrap.fill(doc, WIDTH - 4, subsequent_indent="    ")
    return f'''def build_model() -> keras.Sequential:
    """{doc}
    """
    return keras.Sequential([
{body}
    ])
'''


def _keras_optimizer(config: RunConfig) -> tuple[str, list[str]]:
    """The optimizer's source and the comments on where it differs from torch.optim."""
    train = config.train
    o = dict(train.optimizer.options)
    name = train.optimizer.name
    notes: list[str] = []
    args = [f"learning_rate={_r(o['lr'])}"]
    if name == "sgd":
        args += [f"momentum={_r(o['momentum'])}", f"nesterov={o['nesterov']}"]
        if o["dampening"]:
            notes.append(f"torch's dampening={_r(o['dampening'])} has no Keras counterpart "
                         "(Keras uses 0)")
    elif name == "rmsprop":
        args += [f"rho={_r(o['alpha'])}", f"momentum={_r(o['momentum'])}",
                 f"epsilon={_r(o['eps'])}", f"centered={o['centered']}"]
        notes.append("Keras adds epsilon inside the square root (sqrt(v + eps)); torch adds "
                     "it outside (sqrt(v) + eps)")
    else:
        b1, b2 = o["betas"]
        if name == "adamw":
            args.append(f"weight_decay={_r(o['weight_decay'])}")
        args += [f"beta_1={_r(b1)}", f"beta_2={_r(b2)}", f"epsilon={_r(o['eps'])}",
                 f"amsgrad={o['amsgrad']}"]
        notes.append("Keras's epsilon is Adam's 'epsilon hat': it stands where torch's eps "
                     "times sqrt(1 - beta_2^t) does, so they differ slightly in the first steps")
    if name != "adamw" and o["weight_decay"]:
        args.append(f"weight_decay={_r(o['weight_decay'])}")
        if not (name == "sgd" and o["momentum"] == 0):
            notes.append("Keras's weight_decay is decoupled (w -= lr * wd * w, as AdamW); "
                         "torch's adds wd * w to the gradient, which matches only plain SGD")
    if train.clip.norm is not None:
        args.append(f"global_clipnorm={_r(train.clip.norm)}")
        notes.append("global_clipnorm clips the norm over all variables at once, as "
                     "clip_grad_norm_ (clipnorm would clip each variable on its own)")
    elif train.clip.value is not None:
        args.append(f"clipvalue={_r(train.clip.value)}")
    keras_name = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}[name]
    return _call(f"keras.optimizers.{keras_name}", args, 18), notes


def _keras_callbacks(config: RunConfig) -> tuple[str, list[str]]:
    s = config.train.schedule
    o = dict(s.options)
    notes: list[str] = []
    if s.name == "constant":
        return "[]", notes
    if s.name == "plateau":
        notes += [f"Keras's patience counts differently: torch's patience={o['patience']} "
                  f"is Keras's patience={o['patience'] + 1}",
                  "Keras's min_delta is absolute; torch's threshold is relative "
                  "(best * (1 - threshold))"]
        args = ["monitor=monitor", f'factor={_r(o["factor"])}', f'patience={o["patience"] + 1}',
                f'min_delta={_r(o["threshold"])}', f'min_lr={_r(o["min_lr"])}', 'mode="min"']
        return "[" + _call("keras.callbacks.ReduceLROnPlateau", args, 17) + "]", notes
    notes.append("the schedule runs at the start of each epoch from the number of finished "
                 "epochs, as torch.optim.lr_scheduler steps after each epoch")
    if s.name == "step":
        rule = (f"lr * {_r(o['gamma'])} if epoch > 0 and epoch % {o['step_size']} == 0 "
                "else lr")
    elif s.name == "exponential":
        rule = f"lr * {_r(o['gamma'])} if epoch > 0 else lr"
    else:  # cosine, CosineAnnealingLR's closed form
        t_max = o["t_max"] if o["t_max"] is not None else max(config.train.epochs, 1)
        lr0, eta = config.train.optimizer.lr, o["eta_min"]
        rule = (f"{_r(eta)} + ({_r(lr0)} - {_r(eta)}) * (1 + math.cos(math.pi * epoch / "
                f"{t_max})) / 2")
    return "[" + _call("keras.callbacks.LearningRateScheduler", [f"lambda epoch, lr: {rule}"],
                       17) + "]", notes


def _keras_training(spec: ExportSpec) -> str:
    config = spec.config
    train = config.train
    if spec.loss == "perceptron":
        lr = _r(train.optimizer.lr)
        return f'''def fit(model, x_train, y_train, epochs={train.epochs}, lr={lr}):
    """Rosenblatt's rule (Keras has no built-in for it), one sample at a time on the Dense
    kernel (in, out): w += lr (y - y_hat) x, with y_hat = [x . w + b > 0]; K > 2 classes train
    K one-vs-rest units. x: model inputs (n, {spec.n_features}); y: class indices (n,).
    Returns the epoch it converged at (an epoch without mistakes), or None."""
    kernel, bias = model.layers[0].get_weights()
    units = kernel.shape[1]
    targets = (y_train.reshape(-1, 1) if units == 1
               else (y_train[:, None] == np.arange(units))).astype(kernel.dtype)
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for i in ({"np.random.permutation(len(x_train))" if train.shuffle
                   else "range(len(x_train))"}):
            err = targets[i] - (x_train[i] @ kernel + bias > 0)
            if err.any():
                kernel += lr * np.outer(x_train[i], err)
                bias += lr * err
                mistakes += 1
        model.layers[0].set_weights([kernel, bias])
        if mistakes == 0:
            return epoch
    return None
'''
    loss, metrics = KERAS_LOSSES[spec.loss]
    optimizer, notes = _keras_optimizer(config)
    callbacks, more = _keras_callbacks(config)
    monitor = ('    monitor = "val_loss" if validation_data is not None else "loss"\n'
               if config.train.schedule.name == "plateau" else "")
    comments = _comments(notes + more, 4)
    batch = "len(x_train)" if train.batch_size == 0 else str(train.batch_size)
    targets = TORCH_LOSSES[spec.loss][1].replace("int64", "integers")
    return f'''def compile_model(model: keras.Sequential) -> keras.Sequential:
    """The run's loss and optimizer (with its gradient clipping)."""
{comments}    model.compile(
        optimizer={optimizer},
        loss={loss},
        metrics={metrics},
    )
    return model


def fit(model, x_train, y_train, validation_data=None, epochs={train.epochs}):
    """Train with the run's batch size, shuffling and learning-rate schedule.
    x: model inputs (n, {spec.n_features}); y: {targets}{_target_note(spec)}."""
{monitor}    callbacks = {callbacks}
    return model.fit(x_train, y_train, batch_size={batch}, epochs=epochs,
                     shuffle={train.shuffle}, validation_data=validation_data,
                     callbacks=callbacks)
'''


def _keras_predict(spec: ExportSpec) -> str:
    if spec.loss == "bce":
        body = ("    p = keras.ops.convert_to_numpy(keras.ops.sigmoid(z))\n"
                "    return np.concatenate([1 - p, p], axis=1)\n")
    elif spec.loss == "cross_entropy":
        body = "    return keras.ops.convert_to_numpy(keras.ops.softmax(z, axis=1))\n"
    elif spec.loss == "perceptron":
        body = ("    z = keras.ops.convert_to_numpy(z)\n"
                "    k = (z[:, 0] > 0).astype(int) if z.shape[1] == 1 else z.argmax(axis=1)\n"
                "    return np.eye(max(z.shape[1], 2), dtype=z.dtype)[k]\n")
    elif spec.scales_target:
        body = ("    z = keras.ops.convert_to_numpy(z)\n"
                "    return z * np.array(TARGET_STD) + np.array(TARGET_MEAN)  # the data's units\n")
    else:
        body = "    return keras.ops.convert_to_numpy(z)\n"
    head = (":\n    TARGET_STD * z + TARGET_MEAN, in the data's units" if spec.scales_target
            else f": {HEADS[spec.loss]}")
    return f'''def predict(model, x):
    """The app's predictions for model inputs x (n, {spec.n_features}){head}."""
    z = model(x, training=False)
{body}'''


def keras_code(config: RunConfig, n_features: int, n_outputs: int, *, loss: str,
               preprocessing: Mapping[str, Any] | None = None) -> str:
    """A Keras 3 module's source: ``build_model()``, ``compile_model``, ``fit`` and
    ``predict``; arguments as for ``pytorch_code``."""
    spec = spec_for(config, n_features, n_outputs, loss, preprocessing)
    dtype = ('\nkeras.config.set_floatx("float64")  # the run trains in float64\n'
             if spec.dtype == "float64" else "")
    constants = target_constants(spec)
    return (_header(spec, "Keras 3") + "\nimport math\n\nimport keras\nimport numpy as np\n"
            "from keras import layers, regularizers\n" + dtype
            + ("\n" + constants if constants else "") + "\n\n"
            + keras_model_code(spec) + "\n\n" + _keras_training(spec) + "\n\n"
            + _keras_predict(spec))
