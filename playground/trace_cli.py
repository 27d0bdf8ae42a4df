"""``playground trace CONFIG [--init WEIGHTS] [--rows I,J,...] [--json]``: one training step,
shown and not taken (PRODUCT.md section 2).

CONFIG is a run config (the step is the first batch of the first epoch, from the initial
weights or ``--init``'s) or a workspace (the step that would come next, with the optimizer's
current state). ``--rows`` picks training-split rows instead of that batch. The text goes to
people (``playground.trace_text``), ``--json`` to programs (``StepTrace.to_dict``). Bad input
exits 2 with one line naming the problem, as ``playground train`` does.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from playground.cli import OneLineParser, UsageError


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="playground trace",
                description="Show one training step without taking it: the forward pass, the "
                            "loss, the backward pass and the update, each formula with its "
                            "numbers.")
    p.add_argument("config", metavar="CONFIG",
                   help="run config (JSON, format 1), or a workspace (.playground): then the "
                        "step is the one that would come next")
    p.add_argument("--init", metavar="WEIGHTS",
                   help="trace from these weights (.safetensors, .npz or .json)")
    p.add_argument("--rows", metavar="I,J,...", type=_rows,
                   help="training-split row indices, comma-separated (default: the batch the "
                        "next step takes; for a config, the first batch of the first epoch)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (every number) instead of the text")
    return p


def _rows(text: str) -> list[int]:
    parts = [p.strip() for p in text.split(",")]
    shown = text if len(text) <= 40 else text[:37] + "..."
    if not text.strip() or not all(p.lstrip("-").isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f"must be training-row indices separated by commas, e.g. 0,5,9; got {shown!r}")
    return [int(p) for p in parts]


def trace_command(argv: list[str]) -> int:
    # one line on stderr for every problem: a stray library warning must not add lines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _trace(argv)


def _trace(argv: list[str]) -> int:
    try:
        opts = _parser().parse_args(argv)
    except SystemExit as exc:  # --help printed the help
        return exc.code if isinstance(exc.code, int) else 0
    for flag, value in (("CONFIG", opts.config), ("--init", opts.init)):
        if value == "":
            raise UsageError(f"{flag} is an empty string; give a file name")
    trainer, notes = _trainer(opts)
    from playground.engine.trace import TraceError, epoch_order
    if opts.rows is None:
        _, pos = epoch_order(trainer)
        notes.append(f"rows: the batch the next step takes (batch "
                     f"{pos // trainer.batch_size + 1} of {trainer.batches_per_epoch}, epoch "
                     f"{trainer.epoch + 1})")
    try:
        traced = trainer.trace(opts.rows)
    except TraceError as exc:
        raise UsageError(f"--rows: {exc}" if opts.rows is not None else str(exc)) from None
    if opts.json:
        print(json.dumps(traced.to_dict(), allow_nan=False))
    else:
        from playground.trace_text import render
        print(render(traced, tuple(notes)))
    return 0


def _trainer(opts) -> tuple[object, list[str]]:
    """The run to trace and what the header says about it."""
    from playground.io.workspace import is_workspace_path
    path = Path(opts.config)
    if is_workspace_path(path):
        if opts.init is not None:
            raise UsageError(f"--init does not apply to a workspace: {path.name} traces its "
                             "saved run's next step (weights, optimizer state and all)")
        from playground.io.workspace import load_workspace
        trainer = load_workspace(path).trainer
        notes = [f"workspace {path.name}: after {trainer.epoch} epochs and {trainer.steps} "
                 "steps, with the optimizer's current state"]
    else:
        from playground import config as config_mod
        from playground.cli import load_trainer
        trainer = load_trainer(config_mod.load(path), path.resolve().parent, opts.init)
        notes = [f"config {path.name}: "
                 + (f"weights from {Path(opts.init).name}" if opts.init else "initial weights")
                 + ", a fresh optimizer"]
    if getattr(trainer.dataset, "y_mean", None) is not None:
        notes.append("targets standardized (z-scores with the training split's mean and std): "
                     "the loss is in standardized units")
    return trainer, notes
