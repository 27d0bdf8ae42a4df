"""A refusal in the user's words: the app names its controls, the command line its config keys.

The engine and the config explain a mistake by config path ("train.optimizer.lr must be > 0"),
which is right for a JSON file and the CLI. Beside a control, the same sentence should say
"Learning rate", the word on the control, and drop the references to PyTorch's classes that
help only a programmer. ``in_user_words`` rewrites one message; what it cannot map it keeps.
"""

from __future__ import annotations

import re

from playground.ui.option_info import option_label

_DATA = {"samples": "Samples", "noise": "Noise", "test_fraction": "Test fraction",
         "features": "Features", "standardize": "Standardize inputs",
         "standardize_target": "Standardize targets", "target": "Target column",
         "columns": "Feature columns", "path": "CSV file", "source": "Data set",
         "task": "Task"}
_MODEL = {"layers": "Layers", "output_init": "Output init", "init": "Initial weights",
          "init_seed": "Initial-weights seed", "type": "Model"}
_LAYER = {"units": "units", "activation": "activation", "init": "init",
          "bias_init": "bias init", "p": "dropout rate", "momentum": "momentum", "eps": "eps"}
_TRAIN = {"batch_size": "Batch size", "epochs": "Epochs", "loss": "Loss",
          "dtype": "Precision", "shuffle": "Shuffle", "regularization": "Regularization",
          "regularization.rate": "Regularization rate", "regularization.kind": "Regularization",
          "clip": "Clipping", "clip.norm": "Clipping threshold",
          "clip.value": "Clipping threshold", "optimizer": "Optimizer",
          "optimizer.name": "Optimizer", "optimizer.lr": "Learning rate",
          "schedule": "Schedule", "schedule.name": "Schedule"}

_PATH = re.compile(r"\b(seed|data|model|train)((?:\.[a-z_0-9]+|\[\d+\])*)")
_TORCH = re.compile(r"\s*\((?:as )?torch\.[^)]*\)")

_NESTEROV = re.compile(r"^train\.optimizer\.nesterov needs momentum > 0 and dampening 0"
                       r"(?:.*\bgot momentum (?P<momentum>[-+.\deE]+), "
                       r"dampening (?P<dampening>[-+.\deE]+))?")


def _nesterov(match: re.Match) -> str:
    """Name the setting that is off: Momentum at 0, Dampening not 0, or both. A message
    without the values (``OptimizerConfig`` does not give them) names both fixes, each with
    its condition, so neither is ever the wrong one."""
    head = "Nesterov needs a Momentum above 0 and a Dampening of 0"
    if match.group("momentum") is None:
        return f"{head}: raise Momentum if it is 0, and set Dampening to 0 if it is not."
    fixes = []
    if float(match.group("momentum")) <= 0:
        fixes.append("raise Momentum above 0")
    if float(match.group("dampening")) != 0:
        fixes.append(f"set Dampening to 0 (it is {match.group('dampening')})")
    fixes = fixes or ["raise Momentum if it is 0, and set Dampening to 0 if it is not"]
    return f"{head}: {' and '.join(fixes)}."


#: messages better said whole than mapped word by word: a sentence, or a function of the match
_SENTENCES = (
    (_NESTEROV, _nesterov),
    (re.compile(r"^data\.features must be a non-empty list.*$"),
     "Keep at least one feature on: the network needs an input."),
)


def label_of(path: str) -> str | None:
    """The control's name for a config path ("train.optimizer.lr" -> "Learning rate"),
    or None when the path names no control."""
    head, _, rest = path.partition(".")
    if head == "seed" and not rest:
        return "Seed"
    if head == "data":
        return _DATA.get(rest)
    if head == "model":
        m = re.fullmatch(r"layers\[(\d+)\](?:\.([a-z_]+))?", rest)
        if m:
            layer = f"layer {int(m.group(1)) + 1}"
            field = _LAYER.get(m.group(2) or "")
            return f"the {field} of {layer}" if field else layer.capitalize()
        return _MODEL.get(rest)
    if head == "train":
        if rest in _TRAIN:
            return _TRAIN[rest]
        kind, _, key = rest.partition(".")
        if kind in ("optimizer", "schedule") and key and "." not in key:
            return option_label(key)
    return None


def in_user_words(message: str) -> str:
    """``message`` with config paths named as the controls are and torch references gone."""
    text = str(message).strip()
    for pattern, sentence in _SENTENCES:
        match = pattern.match(text)
        if match:
            return sentence if isinstance(sentence, str) else sentence(match)
    text = _TORCH.sub("", text)

    def name(match: re.Match) -> str:
        label = label_of(match.group(0))
        return label if label is not None else match.group(0)

    text = _PATH.sub(name, text)
    return text[:1].upper() + text[1:] if text else text
