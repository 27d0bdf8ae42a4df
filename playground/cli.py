"""The ``playground`` command: the desktop app, and ``playground train`` headless (``trace``,
``sweep`` and ``lesson`` live in their own modules).

Bad input never shows a traceback: one line on stderr naming the problem, exit status 2, and
no output file is written (every write is atomic, and exports happen only after training).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import warnings
from pathlib import Path
from typing import Sequence

from playground import __version__
from playground.errors import PlaygroundError

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1

USAGE = """\
usage: playground [FILE]
       playground train CONFIG [--epochs N] [--seed S] [--init WEIGHTS] [--export PATH]...
                        [--history PATH.csv]
       playground trace CONFIG [--init WEIGHTS] [--rows I,J,...] [--json]
       playground sweep CONFIG --set KEY=V1,V2,... [--set ...] [--seeds N] [--jobs J] --out DIR
       playground lesson list | check [NAME...] [--verbose]

  playground                 open the desktop app
  playground FILE            open a config (.json) or workspace (.playground) in the app
  playground train CONFIG    train headless from a run config and print a summary
  playground train RUN.playground  continue a saved workspace's run (to train.epochs or --epochs)
  playground trace CONFIG    show one training step (forward, loss, backward, update) untaken
  playground sweep CONFIG    train every combination of values for N seeds, in processes
  playground lesson list     name the bundled lessons
  playground lesson check    train the lessons' experiments and check every claim they make

Run 'playground train --help' (or trace, sweep, lesson) for their options."""


class UsageError(PlaygroundError):
    """A command-line argument the parser refused."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but errors are one line (the problem and the usage hint), exit status 2;
    every subcommand's parser is one."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")



def _train_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="playground train",
                description="Train a run config headless, print a summary, write exports.")
    p.add_argument("config", metavar="CONFIG",
                   help="run config (JSON, format 1), or a workspace (.playground) to continue")
    p.add_argument("--epochs", type=_bounded_int(MAX_EPOCHS), metavar="N",
                   help="override train.epochs; 0 exports the initial weights")
    p.add_argument("--seed", type=_bounded_int(MAX_SEED), metavar="S",
                   help="override the config's seed")
    p.add_argument("--init", metavar="WEIGHTS",
                   help="start from these weights (.safetensors, .npz or .json)")
    p.add_argument("--export", action="append", default=[], metavar="PATH",
                   help="write the trained model; the extension picks the format: "
                        ".safetensors, .npz, .json, .onnx, .py (a PyTorch script) or "
                        ".weights.h5 (Keras) (repeatable)")
    p.add_argument("--history", metavar="PATH.csv",
                   help="write the per-epoch curves and per-layer training dynamics (gradient "
                        "norms, update ratios, weight histograms, dead and saturated units) "
                        "as CSV, one row per epoch (see docs/cli.md)")
    p.add_argument("--dynamics-every", type=_bounded_int(MAX_EPOCHS), metavar="K",
                   help="record the training dynamics every K-th epoch (0: never; default: "
                        "often enough to cost under a tenth of the training, every epoch "
                        "from 2,000 training rows)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


MAX_EPOCHS = 10_000_000   # as train.epochs in the config
MAX_SEED = 2**63 - 1      # as seed in the config


def _bounded_int(hi: int):
    def parse(text: str) -> int:
        shown = text if len(text) <= 40 else text[:37] + "..."
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {shown!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be >= 0, got {shown}")
        if value > hi:
            raise argparse.ArgumentTypeError(f"must be <= {hi}, got {shown}")
        return value
    return parse


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
        if args and args[0] == "trace":
            from playground.trace_cli import trace_command
            return trace_command(args[1:])
        if args and args[0] == "sweep":
            from playground.sweep_cli import sweep_command
            return sweep_command(args[1:])
        if args and args[0] == "lesson":
            from playground.lesson_cli import lesson_command
            return lesson_command(args[1:])
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
    """``playground`` opens the desktop app; ``playground FILE`` opens a config in it."""
    if len(args) > 1 or (args and args[0].startswith("-")):
        raise UsageError(f"unrecognized arguments: {' '.join(args)} (see 'playground --help')")
    if args and not Path(args[0]).is_file():
        raise UsageError(f"file not found: {args[0]}")
    from playground.display_check import problem
    blocked = problem()
    if blocked:   # Qt would abort the interpreter with a message naming one library at most
        print(f"playground: {blocked}", file=sys.stderr)
        return EXIT_FAILED
    try:
        from playground.ui.app import run_app
    except ImportError as exc:  # a broken or missing Qt install: say so in one line
        raise UsageError(f"the desktop app cannot start: {exc}") from None
    return run_app(args[0] if args else None)


def _check_outputs(opts, inputs: dict[Path, str]) -> None:
    """Refuse bad output paths (``--export``, ``--history``) before any training, so nothing
    is half done. ``inputs`` maps the run's input files (resolved) to what they are: an
    output must not overwrite one."""
    from playground.io.weights import format_of
    from playground.io.workspace import is_workspace_path
    seen: set[Path] = set()
    outputs = [("--export", path) for path in opts.export]
    if opts.history is not None:
        outputs.append(("--history", opts.history))
    for flag, path in outputs:
        if path and Path(path).is_dir():
            raise UsageError(f"{flag} {path} is a folder; give a file name")
        if flag == "--history":
            if not path.lower().endswith(".csv"):
                raise UsageError(f"--history {path} must end in .csv (it is written as CSV)")
        elif not is_workspace_path(path):  # a .playground export saves the whole run
            format_of(path)
        target = Path(path).resolve()
        if not target.parent.is_dir():
            raise UsageError(f"{flag} {path}: folder {target.parent} does not exist")
        if not os.access(target.parent, os.W_OK):
            raise UsageError(f"{flag} {path}: folder {target.parent} is not writable")
        if target in seen:
            raise UsageError(f"{flag} {path} is given twice; give each output file once")
        overwritten = inputs.get(target) or _same_file_as(target, inputs)
        if overwritten:
            raise UsageError(f"{flag} {path} would overwrite the {overwritten}; "
                             "choose another file name")
        seen.add(target)


def _same_file_as(target: Path, inputs: dict[Path, str]) -> str | None:
    """What ``target`` is among ``inputs`` when it names the same existing file under
    another spelling (a case-insensitive file system: macOS, Windows; a hard link)."""
    if not target.exists():
        return None
    for path, what in inputs.items():
        try:
            if path.exists() and os.path.samefile(target, path):
                return what
        except OSError:
            continue
    return None


def train_command(argv: list[str]) -> int:
    # The contract is one line on stderr: a stray library warning (NumPy's "overflow
    # encountered", ...) must not add lines; every real problem is reported on its own.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _train(argv)


def _train(argv: list[str]) -> int:
    from playground import config as config_mod

    try:
        opts = _train_parser().parse_args(argv)
    except SystemExit as exc:  # --help printed the help
        return exc.code if isinstance(exc.code, int) else 0
    for flag, value in (("CONFIG", [opts.config]), ("--init", [opts.init]),
                        ("--export", opts.export), ("--history", [opts.history])):
        if "" in value:
            raise UsageError(f"{flag} is an empty string; give a file name")
    config_path = Path(opts.config)
    inputs = {config_path.resolve(): "config file"}
    if opts.init:
        inputs.pop(Path(opts.init).resolve(), None)  # continuing in place is fine
    from playground.io.workspace import is_workspace_path
    if is_workspace_path(config_path):
        inputs.pop(config_path.resolve())  # so is saving a continued workspace over itself
    _check_outputs(opts, inputs)
    if is_workspace_path(config_path):
        return _finish(_workspace_trainer(opts, config_path), opts)
    cfg = config_mod.load(config_path)
    if opts.epochs is not None:
        cfg = cfg.replace(train=_replace(cfg.train, epochs=opts.epochs))
    if opts.seed is not None:
        cfg = cfg.replace(seed=opts.seed)
    base_dir = config_path.resolve().parent
    if cfg.data.source == "csv":
        from playground.data.csv_source import resolve_path
        _check_outputs(opts, {resolve_path(cfg.data.path, base_dir).resolve(): "CSV file"})

    return _finish(load_trainer(cfg, base_dir, opts.init), opts)


def load_trainer(cfg, base_dir: Path, init: str | None = None):
    """The run of a loaded config (its data read relative to ``base_dir``), from ``init``'s
    weights when given (``--init``: names and shapes must match, values must fit the dtype)."""
    from playground.data import load_dataset
    from playground.data.loader import check_fits_dtype
    from playground.engine.trainer import Trainer
    dataset = load_dataset(cfg.data, cfg.seed, base_dir)
    check_fits_dtype(dataset, cfg.train.dtype,
                     Path(cfg.data.path).name if cfg.data.source == "csv" else cfg.data.source)
    trainer = Trainer(cfg, dataset=dataset, base_dir=base_dir, evaluate_epochs=False)
    if init is not None:
        from playground.io.weights import check_dtype_range, load_weights
        state, _ = load_weights(init)
        try:
            trainer.load_state_dict(state)
            check_dtype_range(state, cfg.train.dtype)
        except PlaygroundError as exc:
            raise type(exc)(f"--init {init}: {exc}") from None
    return trainer


def _workspace_trainer(opts, path: Path):
    """The run stored in a workspace, to continue where it stopped; ``--epochs`` sets its
    total epochs (``train.epochs``), as it does for a config."""
    for flag, value in (("--seed", opts.seed), ("--init", opts.init)):
        if value is not None:
            raise UsageError(f"{flag} does not apply to a workspace: {path.name} continues its "
                             "saved run (weights, random streams and all)")
    from playground.io.workspace import load_workspace
    trainer = load_workspace(path).trainer
    if opts.epochs is not None:
        trainer.update_train(_replace(trainer.config.train, epochs=opts.epochs))
    return trainer


def _finish(trainer, opts) -> int:
    """Train up to the run's epochs, print the summary, write the exports."""
    from playground.io.workspace import is_workspace_path
    kept = opts.history is not None or any(is_workspace_path(path) for path in opts.export)
    if kept:
        trainer.evaluate_epochs = True  # per-epoch curves: the CSV's, a workspace's for the app
    if opts.dynamics_every is not None:
        trainer.dynamics.set_every(opts.dynamics_every)
    elif not kept:
        trainer.dynamics.set_every(0)   # no file would hold them: record none, at no cost
    failure = _run(trainer, max(trainer.config.train.epochs - trainer.epoch, 0),
                   quiet=opts.quiet)
    if failure:
        return _fail(failure, EXIT_FAILED)
    import numpy as np
    bad = next((k for k, v in trainer.state_dict().items()
                if v.dtype.kind == "f" and not np.isfinite(v).all()), None)
    if bad is not None:
        return _fail(f"training diverged by epoch {trainer.epoch}: {bad} became NaN or "
                     "infinite; try a lower learning rate, weight decay or regularization "
                     "rate, or gradient clipping (nothing was written)", EXIT_FAILED)
    print(summary(trainer))
    if opts.export:
        from playground.io.atomic import atomic_write_bytes
        from playground.io.weights import encode_weights
        metadata = export_metadata(trainer)
        state = trainer.state_dict()
        from playground.io.workspace import is_workspace_path, save_workspace
        # every weights export is built before any file is written: one that cannot be built
        # (an .onnx of weights beyond float32...) leaves no file at all
        encoded = {}
        for path in opts.export:
            if not is_workspace_path(path):
                try:
                    encoded[path] = encode_weights(path, state, metadata)
                except PlaygroundError as exc:
                    raise type(exc)(f"--export {path}: {exc}") from None
        for path in opts.export:
            try:
                if is_workspace_path(path):
                    save_workspace(path, trainer)
                    print(f"wrote {path}")
                    continue
                atomic_write_bytes(path, encoded[path])
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
            print(f"wrote {path}")
    if opts.history is not None:
        from playground.io.history_csv import save_history_csv
        try:
            save_history_csv(opts.history, trainer)
        except OSError as exc:
            raise UsageError(f"cannot write {opts.history}: {exc.strerror or exc}") from None
        print(f"wrote {opts.history}")
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
    import time

    import numpy as np
    done, chunk = 0, 1
    try:
        while done < epochs:
            # epochs in chunks (Trainer.run_epochs trains a chunk in one kernel call where it
            # can), grown while a chunk takes under a tenth of a second; a perceptron goes
            # epoch by epoch, to stop at the epoch it converges
            k = 1 if trainer.perceptron else min(chunk, epochs - done)
            start = time.perf_counter()
            losses = trainer.run_epochs(k)
            if time.perf_counter() - start < 0.1:
                chunk = min(chunk * 2, 1 << 16)
            notice.cancel()
            bar.update(k)
            bad = np.flatnonzero(~np.isfinite(losses))
            if bad.size:
                return (f"training diverged at epoch {trainer.epoch - k + 1 + bad[0]}: the "
                        f"loss is {losses[bad[0]]}; try a lower learning rate or gradient "
                        "clipping (nothing was written)")
            done += k
            bar.set_postfix_str(f"loss {losses[-1]:.4g}", refresh=False)
            if trainer.converged_epoch is not None:
                break
    finally:
        notice.cancel()
        bar.close()
    return None


def export_metadata(trainer) -> dict:
    """What every export carries (``playground.io.export_metadata``, shared with the app)."""
    from playground.io.export_metadata import export_metadata as build
    return build(trainer)


def _scores(accuracy: float | None, r2: float | None, mae: float | None) -> str:
    """A summary line's metrics: accuracy for classification, R^2 and MAE (in the data's
    units) for regression."""
    if accuracy is not None:
        return f"  accuracy {100 * accuracy:.1f}%"
    out = "" if r2 is None else f"  R^2 {r2:.6g}"
    return out + ("" if mae is None else f"  MAE {mae:.6g}")


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
    name = "error rate" if trainer.perceptron else "loss"
    lines.append(f"train {name} {ev.train_loss:.6g}"
                 f"{_scores(ev.train_accuracy, ev.train_r2, ev.train_mae)}")
    if ev.test_loss is not None:
        lines.append(f"test  {name} {ev.test_loss:.6g}"
                     f"{_scores(ev.test_accuracy, ev.test_r2, ev.test_mae)}")
    lines.append(f"learning rate {trainer.lr:.6g}")
    return "\n".join(lines)
