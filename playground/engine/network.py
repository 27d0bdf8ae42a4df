"""An MLP built from the config's hidden stack plus the automatic output layer.

All trainable parameters live in one flat buffer (``params``) in torch's ``model.parameters()``
order, with gradients in a twin buffer (``grads``); layers hold views into both. Optimizers,
clipping and regularization are then single vectorized operations over the whole model.

Tensor names follow the ``state_dict()`` of the equivalent ``torch.nn.Sequential``: a dense
layer becomes ``nn.Linear`` plus its activation module when that is not linear, so indices
count modules, not config layers.
"""

from __future__ import annotations

import numpy as np

from playground.config import (
    ActivationLayer, BatchNormLayer, DenseLayer, DropoutLayer, ModelConfig,
)
from playground.engine.initializers import init_bias, init_weight
from playground.engine.layers import Activation, BatchNorm, Dropout, Linear


class Network:
    """A sequence of modules with flat parameters.

    ``modules``: (torch index, layer) pairs; ``weight_slices``: where each Linear weight sits in
    ``params`` (the tensors L1/L2 apply to).
    """

    def __init__(self, model: ModelConfig, n_inputs: int, n_outputs: int, dtype,
                 rng: np.random.Generator) -> None:
        self.dtype = np.dtype(dtype)
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        self.modules: list = []
        inits: list[tuple[Linear, str, object]] = []
        width = n_inputs
        for layer in model.layers:
            if isinstance(layer, DenseLayer):
                lin = Linear(width, layer.units)
                self.modules.append(lin)
                inits.append((lin, layer.init, layer.bias_init))
                if layer.activation != "linear":
                    self.modules.append(Activation(layer.activation))
                width = layer.units
            elif isinstance(layer, BatchNormLayer):
                self.modules.append(BatchNorm(width, layer.momentum, layer.eps, self.dtype))
            elif isinstance(layer, DropoutLayer):
                self.modules.append(Dropout(layer.p))
            elif isinstance(layer, ActivationLayer):
                self.modules.append(Activation(layer.type))
        out = Linear(width, n_outputs)
        self.modules.append(out)
        inits.append((out, model.output_init, "zeros"))
        self._allocate()
        self._build_plan()
        for lin, weight_init, bias_spec in inits:
            lin.weight[...] = init_weight(weight_init, rng, lin.n_out, lin.n_in)
            lin.bias[...] = init_bias(bias_spec, rng, lin.n_out)

    def _allocate(self) -> None:
        shapes = [(m, name, shape) for m in self.modules for name, shape in m.param_shapes.items()]
        size = sum(int(np.prod(s)) for _, _, s in shapes)
        self.params = np.zeros(size, self.dtype)
        self.grads = np.zeros(size, self.dtype)
        self.weight_slices: list[slice] = []
        self.param_slices: dict[str, slice] = {}
        offset = 0
        for module, name, shape in shapes:
            n = int(np.prod(shape))
            sl = slice(offset, offset + n)
            setattr(module, name, self.params[sl].reshape(shape))
            setattr(module, "grad_" + name, self.grads[sl].reshape(shape))
            if module.kind == "batchnorm" and name == "weight":
                module.weight[...] = 1.0  # gamma starts at 1, as BatchNorm1d
            if module.kind == "linear" and name == "weight":
                self.weight_slices.append(sl)
            self.param_slices[f"{self.modules.index(module)}.{name}"] = sl
            offset += n

    def _build_plan(self) -> None:
        """The integer description the fused kernels run (see ``kernels``), and one flat
        buffer for the batchnorm running statistics, which the modules view."""
        from playground.engine import plan_codes as codes
        bns = [m for m in self.modules if m.kind == "batchnorm"]
        self.stats = np.zeros(sum(2 * m.n for m in bns), self.dtype)
        plan = np.zeros((len(self.modules), 6), np.int64)
        fplan = np.zeros((len(self.modules), 3), np.float64)
        width, stat = self.n_inputs, 0
        offsets = {id(m): self.param_slices[f"{i}.weight"].start
                   for i, m in enumerate(self.modules) if m.param_shapes}
        kinds = {"linear": codes.LINEAR, "activation": codes.ACTIVATION,
                 "batchnorm": codes.BATCHNORM, "dropout": codes.DROPOUT}
        for i, m in enumerate(self.modules):
            out = m.n_out if m.kind == "linear" else width
            plan[i] = (kinds[m.kind], width, out, offsets.get(id(m), 0),
                       getattr(m, "code", 0), stat)
            if m.kind == "batchnorm":
                m.running_mean = self.stats[stat:stat + m.n]
                m.running_var = self.stats[stat + m.n:stat + 2 * m.n]
                m.running_var[...] = 1.0
                fplan[i, 1:] = (m.momentum, m.eps)
                stat += 2 * m.n
            elif m.kind == "dropout":
                fplan[i, 0] = m.p
            width = out
        self.plan, self.fplan = plan, fplan
        self.weight_ranges = np.array([[sl.start, sl.stop] for sl in self.weight_slices],
                                      np.int64).reshape(-1, 2)
        self.batchnorms = bns
        self.dropout_width = sum(int(plan[i, 2]) for i, m in enumerate(self.modules)
                                 if m.kind == "dropout")

    @property
    def n_params(self) -> int:
        return self.params.size

    @property
    def linears(self) -> list[Linear]:
        return [m for m in self.modules if m.kind == "linear"]

    def forward(self, x: np.ndarray, training: bool = False,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Logits (n, n_outputs) for model inputs x (n, n_inputs) in the network's dtype."""
        for module in self.modules:
            x = module.forward(x, training, rng)
        return x

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Every module's evaluation-mode output for model inputs x (n, n_inputs), in order.

        outputs[k] = modules[k].forward(outputs[k - 1]), outputs[-1] the logits (n, n_outputs);
        each entry (n, module_widths[k]) is its own array (dropout and the linear activation,
        identities in evaluation mode, are copied), in the network's dtype. One batched pass.
        """
        outputs = []
        for module in self.modules:
            y = module.forward(x, False, None)
            outputs.append(y.copy() if y is x else y)
            x = y
        return outputs

    @property
    def module_kinds(self) -> tuple[str, ...]:
        """Each module's kind ('linear', 'activation', 'batchnorm', 'dropout'), in order."""
        return tuple(m.kind for m in self.modules)

    @property
    def module_widths(self) -> tuple[int, ...]:
        """Each module's output width, in order: ``layer_outputs(x)[k].shape[1]``."""
        return tuple(int(w) for w in self.plan[:, 2])

    def backward(self, grad_logits: np.ndarray) -> None:
        """Fill ``grads`` from dL/dlogits of the last training forward pass."""
        g = grad_logits
        for module in reversed(self.modules[1:]):
            g = module.backward(g)
        first = self.modules[0]
        if first.kind == "linear":
            first.backward(g, input_grad=False)  # nothing needs dL/dinputs
        else:
            first.backward(g)

    # --- state dict (torch nn.Sequential names) -------------------------------------------

    def state_spec(self) -> dict[str, tuple[tuple[int, ...], str]]:
        """Every tensor name with its shape and kind ('float' or 'int'), in state_dict order."""
        spec: dict[str, tuple[tuple[int, ...], str]] = {}
        for i, m in enumerate(self.modules):
            for name, shape in m.param_shapes.items():
                spec[f"{i}.{name}"] = (tuple(shape), "float")
            if m.kind == "batchnorm":
                spec[f"{i}.running_mean"] = ((m.n,), "float")
                spec[f"{i}.running_var"] = ((m.n,), "float")
                spec[f"{i}.num_batches_tracked"] = ((), "int")
        return spec

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every tensor, named and shaped as torch's state_dict()."""
        out: dict[str, np.ndarray] = {}
        for i, m in enumerate(self.modules):
            for name in m.param_shapes:
                out[f"{i}.{name}"] = getattr(m, name).copy()
            if m.kind == "batchnorm":
                out[f"{i}.running_mean"] = m.running_mean.copy()
                out[f"{i}.running_var"] = m.running_var.copy()
                out[f"{i}.num_batches_tracked"] = np.array(m.num_batches_tracked, np.int64)
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy tensors in (cast to the network's dtype); names and shapes are checked by the caller."""
        for i, m in enumerate(self.modules):
            for name in m.param_shapes:
                getattr(m, name)[...] = state[f"{i}.{name}"]
            if m.kind == "batchnorm":
                m.running_mean[...] = state[f"{i}.running_mean"]
                m.running_var[...] = state[f"{i}.running_var"]
                m.num_batches_tracked = np.int64(state[f"{i}.num_batches_tracked"])
