"""What a view needs to know about a run, read once when the run starts: its config, its data,
the modules of its ``nn.Sequential`` twin and how its outputs are read.

Views never touch the trainer (it lives on the worker thread) or engine internals: the main
window hands each view a ``RunInfo`` (``set_run``) and then the run's snapshots
(``show_snapshot``). The facts come from the engine's own registries (the loss's output
activation, the module list the exports use), so no view keeps a table of its own. An MLP
and a perceptron differ here in data, not in branches spread across the views: a perceptron
is one linear module whose output activation is ``step``.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.config import RunConfig
from playground.data.dataset import Dataset
from playground.engine import losses
from playground.io.export_spec import Module, torch_modules


@dataclass(frozen=True, eq=False)
class RunInfo:
    """A run as the views see it. ``modules`` are the ``nn.Sequential`` twin's, in order
    (``Module.index`` is the state-dict prefix of its tensors); the last is the output
    Linear, whose ``output_activation`` (sigmoid, softmax, linear or step) the loss fuses."""

    run_id: int
    config: RunConfig
    dataset: Dataset
    loss: str
    modules: tuple[Module, ...]
    #: the training dynamics are recorded every this many epochs (0: never)
    dynamics_every: int = 0

    @classmethod
    def of(cls, trainer) -> RunInfo:
        ds = trainer.dataset
        return cls(trainer.run_id, trainer.config, ds, trainer.loss_name,
                   torch_modules(trainer.config.model, ds.n_features, trainer.output_units),
                   trainer.dynamics.every)

    @property
    def kind(self) -> str:
        """``mlp`` or ``perceptron`` (``model.type``)."""
        return self.config.model.type

    @property
    def output_activation(self) -> str:
        return losses.OUTPUT_ACTIVATIONS[self.loss]

    @property
    def n_outputs(self) -> int:
        return self.modules[-1].n_out

    @property
    def linears(self) -> tuple[Module, ...]:
        """The Linear modules, input side first; the last is the output layer."""
        return tuple(m for m in self.modules if m.kind == "linear")

    @property
    def quantity(self) -> str:
        """What the loss curves show: a perceptron's error rate, else the loss."""
        return "error rate" if self.loss == "perceptron" else "loss"
