"""``playground sweep CONFIG --set KEY=V1,V2,... [--set ...] [--seeds N] [--jobs J] --out DIR``
(PRODUCT.md section 2): every combination of the values, for N seeds, J runs at a time in
worker processes, with a progress bar on stderr (``playground.runs.sweep``).

KEY is a config key path as the config's errors write it (``train.optimizer.lr``,
``model.layers[0].units``); the values are JSON scalars separated by commas (a bare word such
as ``relu`` is taken as the string it spells). Bad input exits 2 with one line naming the
problem and leaves no DIR, as ``playground train`` does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

from playground.cli import OneLineParser, UsageError, _bounded_int
from playground.runs.sweep import MAX_RUNS

#: A value that is not JSON but one bare word (``relu``, ``xavier_uniform``) is that string.
_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_NOT_JSON = ("NaN", "Infinity", "-Infinity")


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="playground sweep",
                description="Train every combination of the given values, for N seeds, in "
                            "worker processes; write DIR/summary.csv, DIR/curves.png and "
                            "each run's config.json and weights.safetensors.")
    p.add_argument("config", metavar="CONFIG", help="run config (JSON, format 1)")
    p.add_argument("--set", action="append", required=True, metavar="KEY=V1,V2,...",
                   dest="sets",
                   help="a config key path (train.optimizer.lr, model.layers[0].units) and "
                        "its values, JSON scalars separated by commas (repeatable: every "
                        "combination is trained)")
    p.add_argument("--seeds", type=_positive(MAX_RUNS), default=1, metavar="N",
                   help="seeds per combination: seed, seed+1, ... (default 1)")
    p.add_argument("--jobs", type=_positive(10**6), default=None, metavar="J",
                   help="runs at a time, each in a worker process (default: every core)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="a new (or empty) folder for the results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _positive(hi: int):
    whole = _bounded_int(hi)

    def parse(text: str) -> int:
        value = whole(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
        return value
    return parse


def parse_set(text: str) -> tuple[str, list[Any]]:
    """``"KEY=V1,V2"`` -> (KEY, [V1, V2]); UsageError naming the problem."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    key, eq, values = text.partition("=")
    if not eq or not key:
        raise UsageError(f"--set {shown!r} must be KEY=V1,V2,... (a config key path, '=', "
                         "then values separated by commas)")
    from playground.runs.compare import parse_path
    from playground.errors import ConfigError
    try:
        parse_path(key)
    except ConfigError as exc:
        raise UsageError(f"--set {shown}: {exc}") from None
    return key, [parse_scalar(key, v) for v in split_values(key, values)]


def split_values(key: str, text: str) -> list[str]:
    """The comma-separated values, a comma inside a "quoted string" kept."""
    parts, current, quoted, escaped = [], "", False, False
    for ch in text:
        if quoted:
            current += ch
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == ",":
            parts.append(current)
            current = ""
        else:
            current += ch
            quoted = ch == '"'
    parts.append(current)
    if quoted:
        raise UsageError(f"--set {key}: a double quote is never closed")
    return [p.strip() for p in parts]


def parse_scalar(key: str, text: str) -> Any:
    """One value: JSON (a number, true, false, null, "text"), or a bare word as text."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    if not text:
        raise UsageError(f"--set {key}: an empty value (values are separated by single "
                         "commas, e.g. 0.01,0.1)")
    if text in _NOT_JSON:
        raise UsageError(f"--set {key}: {text} is not a JSON number (values must be finite)")
    try:
        value = json.loads(text, parse_constant=lambda name: _reject(key, name))
    except ValueError:
        if _BARE_WORD.match(text):
            return text
        if re.fullmatch(r"-?\d+", text):  # beyond Python's 4300-digit limit
            raise UsageError(f"--set {key}: {shown} has too many digits") from None
        raise UsageError(f"--set {key}: {shown!r} is not a JSON scalar (a number, true, "
                         'false, null or a "quoted string")') from None
    except RecursionError:
        raise UsageError(f"--set {key}: {shown!r} is not a JSON scalar") from None
    if isinstance(value, (dict, list)):
        raise UsageError(f"--set {key}: {shown!r} is not a JSON scalar (a number, true, "
                         'false, null or a "quoted string"; lists and objects cannot be '
                         "swept)")
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise UsageError(f"--set {key}: {shown} is beyond a float's range")
    return value


def _reject(key: str, name: str):
    raise UsageError(f"--set {key}: {name} is not a JSON number (values must be finite)")


def sweep_command(argv: list[str]) -> int:
    # one line on stderr for every problem: a stray library warning must not add lines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _sweep(argv)


def _sweep(argv: list[str]) -> int:
    try:
        opts = _parser().parse_args(argv)
    except SystemExit as exc:  # --help printed the help
        return exc.code if isinstance(exc.code, int) else 0
    if opts.config == "":
        raise UsageError("CONFIG is an empty string; give a file name")
    from playground.io.workspace import is_workspace_path
    if is_workspace_path(opts.config):
        raise UsageError(f"{opts.config} is a workspace; a sweep starts from a run config "
                         "(File > Save config in the app writes one)")
    from playground.runs import sweep
    try:
        out = sweep.check_out(opts.out)
    except sweep.SweepError as exc:
        raise UsageError(f"--out: {exc}") from None
    sets = [parse_set(text) for text in opts.sets]
    from playground import config as config_mod
    config_path = Path(opts.config)
    cfg = config_mod.load(config_path)
    from playground.errors import ConfigError
    try:
        runs = sweep.grid(cfg, sets, opts.seeds, base_dir=config_path.resolve().parent)
    except (ConfigError, sweep.SweepError) as exc:
        raise UsageError(f"--set: {exc}") from None
    sweep.check_runs(runs)
    jobs = opts.jobs or sweep.default_jobs()
    keys = [key for key, _ in sets]
    result = _run(runs, out, keys, jobs, opts.quiet)
    _report(result)
    return 0


def _run(runs, out: Path, keys: list[str], jobs: int, quiet: bool):
    """run_sweep with a progress bar (epochs of all runs) on stderr."""
    from tqdm import tqdm

    from playground.runs.sweep import run_sweep
    total = sum(cfg.train.epochs for _, cfg in runs)
    bar = tqdm(total=total, desc="sweep", unit="epoch", file=sys.stderr, disable=quiet,
               dynamic_ncols=True, leave=False)
    bar.set_postfix_str(f"runs 0/{len(runs)}", refresh=False)
    # the first sweep on a machine compiles the engine's kernels (then cached): say so
    notice = threading.Timer(6.0, lambda: bar.write(
        "starting the workers: the first sweep on a machine compiles the engine's kernels "
        "(once; later sweeps start in a second or two)", file=sys.stderr))
    if not quiet:
        notice.start()

    def progress(p) -> None:
        if p.epochs_done:
            notice.cancel()
        bar.update(p.epochs_done - bar.n)
        bar.set_postfix_str(f"runs {p.runs_done}/{p.runs_total}", refresh=False)

    try:
        return run_sweep(runs, out, keys=keys, jobs=jobs, on_progress=progress)
    finally:
        notice.cancel()
        bar.close()


def _report(result) -> None:
    """The summary on stdout; a diverged run on stderr (it wrote no weights)."""
    for run in result.runs:
        if run.failure:
            print(f"playground: run {run.name} {run.failure}; no weights written (as "
                  "'playground train' of its config)", file=sys.stderr)
    n = len(result.runs)
    print(f"{n} run{'s' if n != 1 else ''} in {result.wall_time:.1f} s, {result.jobs} at a "
          "time")
    scored = [r for r in result.runs if not r.failure]
    for split in ("test", "train"):
        losses = [(getattr(r.record.final, f"{split}_loss"), r.name) for r in scored]
        losses = [(v, name) for v, name in losses if v is not None]
        if losses:
            value, name = min(losses)
            print(f"lowest final {split} loss {value:.6g}: {name}")
            break
    print(f"wrote {result.out / 'summary.csv'}")
    if result.curves:
        print(f"wrote {result.curves}")
    diverged = n - len(scored)
    print(f"wrote {result.out}/<run>/config.json and weights.safetensors for each run"
          + (f" (config.json only for the {diverged} that diverged)" if diverged else ""))
