"""The ``playground`` command: the desktop app, and ``playground train`` headless.

Bad input never shows a traceback: one line on stderr naming the problem, exit status 2, and
no output file is written (every write is atomic, and exports happen only after training).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
from pathlib import Path
from typing import Sequence

from playground import __version__
from playground.errors import PlaygroundError

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1

USAGE = """\
usage: playground [FILE]
       playground train CONFIG [--epochs N] [--seed S] [--init WEIGHTS] [--export PATH]...

  playground                 open the desktop app
  playground FILE            open a config (.json) or workspace (.playground) in the app
  playground train CONFIG    train headless from a run config and print a summary

Run 'playground train --help' for the training options."""


class UsageError(PlaygroundError):
    """A command-line argument the parser refused."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (the problem and the usage hint), exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see 'playground train --help')")


def _train_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="playground train",
                description="Train a run config headless, print a summary, write exports.")
    p.add_argument("config", metavar="CONFIG", help="run config (JSON, format 1)")
    p.add_argument("--epochs", type=_nonneg_int, metavar="N",
                   help="override train.epochs; 0 exports the initial weights")
    p.add_argument("--seed", type=_nonneg_int, metavar="S", help="override the config's seed")
    p.add_argument("--init", metavar="WEIGHTS",
                   help="start from these weights (.safetensors, .npz or .json)")
    p.add_argument("--export", action="append", default=[], metavar="PATH",
                   help="write the trained weights; the format follows the extension "
                        "(repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> int:
    line = " ".join(str(message).split())
    print(f"playground: error: {line}", file=sys.stderr)
    return status


def _one_blas_thread() -> None:
    """One BLAS thread unless the user says otherwise: playground-sized products gain nothing
    from more, and an oversubscribed OpenBLAS (2 threads on a busy 2-core machine) runs tens
    of times slower. Must run before NumPy is imported."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def main(argv: Sequence[str] | None = None) -> int:
    _one_blas_thread()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "train":
            return train_command(args[1:])
        if args and args[0] in ("-h", "--help"):
            print(USAGE)
            return 0
        if args and args[0] == "--version":
            print(f"playground {__version__}")
            return 0
        return app_command(args)
    except PlaygroundError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except MemoryError:
        return _fail("out of memory: try fewer samples or smaller layers")
    except OSError as exc:
        return _fail(f"{exc.filename or ''}: {exc.strerror or exc}".strip(": "))
    except Exception as exc:  # a bug, not bad input: still one line, but a different status
        return _fail(f"internal error ({type(exc).__name__}: {exc}); please report it",
                     EXIT_FAILED)


def app_command(args: list[str]) -> int:
    """The desktop app arrives with the app issue; until then say how to use the command line."""
    if len(args) > 1 or (args and args[0].startswith("-")):
        raise UsageError(f"unrecognized arguments: {' '.join(args)} (see 'playground --help')")
    if args and not Path(args[0]).exists():
        raise UsageError(f"file not found: {args[0]}")
    print("The desktop app is not part of this build yet; the headless trainer is.\n")
    print(USAGE)
    return 0


def _check_exports(paths: list[str]) -> None:
    """Refuse bad export paths before any training, so nothing is half done."""
    from playground.io.weights import format_of
    for path in paths:
        format_of(path)
        parent = Path(path).resolve().parent
        if not parent.is_dir():
            raise UsageError(f"--export {path}: folder {parent} does not exist")
        if Path(path).is_dir():
            raise UsageError(f"--export {path} is a folder; give a file name")


def train_command(argv: list[str]) -> int:
    from playground import config as config_mod

    opts = _train_parser().parse_args(argv)
    _check_exports(opts.export)
    cfg = config_mod.load(opts.config)
    if opts.epochs is not None:
        cfg = cfg.replace(train=_replace(cfg.train, epochs=opts.epochs))
    if opts.seed is not None:
        cfg = cfg.replace(seed=opts.seed)

    from playground.engine.trainer import Trainer
    trainer = Trainer(cfg, base_dir=Path(opts.config).resolve().parent, evaluate_epochs=False)
    if opts.init:
        from playground.io.weights import load_weights
        state, _ = load_weights(opts.init)
        try:
            trainer.load_state_dict(state)
        except PlaygroundError as exc:
            raise type(exc)(f"--init {opts.init}: {exc}") from None

    failure = _run(trainer, cfg.train.epochs, quiet=opts.quiet)
    if failure:
        return _fail(failure, EXIT_FAILED)
    print(summary(trainer))
    if opts.export:
        from playground.io.weights import save_weights
        metadata = export_metadata(trainer)
        state = trainer.state_dict()
        for path in opts.export:
            try:
                save_weights(path, state, metadata)
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
            print(f"wrote {path}")
    return 0


def _replace(obj, **changes):
    import dataclasses
    return dataclasses.replace(obj, **changes)


def _run(trainer, epochs: int, quiet: bool) -> str | None:
    """Train with a progress bar on stderr; returns a message if training had to stop."""
    from tqdm import tqdm

    bar = tqdm(total=epochs, desc="training", unit="epoch", file=sys.stderr,
               disable=quiet or epochs == 0, dynamic_ncols=True, leave=False)
    # the first run on a machine compiles the engine's kernels (then cached): say so if slow
    notice = threading.Timer(1.5, lambda: bar.write(
        "preparing the engine: compiling its kernels (the first run only; later runs start "
        "at once)", file=sys.stderr))
    if not quiet and epochs:
        notice.start()
    try:
        for _ in range(epochs):
            record = trainer.step_epoch()
            notice.cancel()
            bar.update(1)
            loss = record["batch_loss"]
            if not math.isfinite(loss):
                return (f"training diverged at epoch {record['epoch']}: the loss is {loss}; "
                        "try a lower learning rate or gradient clipping (nothing was written)")
            bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
            if trainer.converged_epoch is not None:
                break
    finally:
        notice.cancel()
        bar.close()
    return None


def export_metadata(trainer) -> dict:
    """What every export carries: the run config and the preprocessing that takes raw inputs."""
    return {"config": trainer.config.to_dict(), "preprocessing": trainer.dataset.preprocessing()}


def _pct(value: float | None) -> str:
    return "" if value is None else f"  accuracy {100 * value:.1f}%"


def summary(trainer) -> str:
    cfg = trainer.config
    lines = [f"epochs: {trainer.epoch}"]
    if trainer.perceptron:
        if trainer.converged_epoch is not None:
            lines.append(f"perceptron converged at epoch {trainer.converged_epoch} "
                         "(an epoch without mistakes)")
        else:
            lines.append(f"perceptron did not converge within {cfg.train.epochs} epochs"
                         + (" (the data may not be linearly separable)" if trainer.epoch else ""))
    ev = trainer.evaluate()
    rec = {"train_loss": ev.train_loss, "test_loss": ev.test_loss,
           "train_accuracy": ev.train_accuracy, "test_accuracy": ev.test_accuracy}
    name = "error rate" if trainer.perceptron else "loss"
    lines.append(f"train {name} {rec['train_loss']:.6g}{_pct(rec['train_accuracy'])}")
    if rec["test_loss"] is not None:
        lines.append(f"test  {name} {rec['test_loss']:.6g}{_pct(rec['test_accuracy'])}")
    lines.append(f"learning rate {trainer.lr:.6g}")
    return "\n".join(lines)
