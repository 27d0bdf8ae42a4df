"""Whole commands against whole commands: `playground train` against the PyTorch twin as a
script, each timed from outside as a fresh process, long run minus short run.

    python bench/cli.py                 workloads A-D, 3 rounds (about 4 minutes)
    python bench/cli.py --only A,D --rounds 5 --seconds 4

This is the harness an outsider would write, and the one issue #14 is judged by: nothing of
ours is timed from inside. Each side's command runs S epochs (the short run) and L epochs (the
long run); interpreter start, imports, data loading, kernel compile or cache load and the
final summary are in both, so (L - S) epochs x steps per epoch / (t_long - t_short) is the
training throughput, steps/s. L is chosen per side from a first probe so that the long run
trains for about --seconds. Rounds interleave the sides and the lengths (ours short, torch
short, ours long, torch long); the table shows the median of the rounds' rates.

  ours  = python -m playground train CONFIG --epochs N --quiet, from an empty folder holding
          only the config (and, for D, its rows as a CSV): what a user runs.
  torch = python bench/peers.py train-torch --spec JSON --epochs N: the twin loop of run.py
          (zero_grad, forward, loss, backward, step; torch.randperm per epoch) on the rows our
          Trainer trains on, from our initial weights, then its train loss; imports nothing of
          ours.
One thread everywhere (OMP/OpenBLAS/MKL/Numba variables; torch.set_num_threads(1)).
"""

from __future__ import annotations

import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS")
for _var in THREAD_VARS:
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import workloads as wl  # noqa: E402

PEERS_PY = str(BENCH / "peers.py")


def prepare(w: wl.Workload, folder: Path) -> tuple[list[str], list[str], int]:
    """The two commands (without --epochs) and the steps per epoch, in a folder of their own:
    our config (D's rows as a CSV beside it) and the twin's rows, spec and initial weights."""
    trainer = wl.make_trainer(w)
    data = folder / "peer"
    wl.write_peer_data(trainer, data)
    spec = wl.peer_spec(w, wl.trainer_info(trainer), str(data), 1)
    cfg = w.config_dict()
    if w.source == "synthetic":
        x, y = wl.synthetic_xy()
        header = ",".join([f"x{i}" for i in range(x.shape[1])] + ["label"])
        np.savetxt(folder / cfg["data"]["path"], np.column_stack([x, y]), fmt="%.9g",
                   delimiter=",", header=header, comments="")
    (folder / "config.json").write_text(json.dumps(cfg))
    ours = [sys.executable, "-m", "playground", "train", "config.json", "--quiet"]
    torch = [sys.executable, PEERS_PY, "train-torch", "--spec", json.dumps(spec)]
    return ours, torch, int(trainer.batches_per_epoch)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(wl.REPO), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return e


def wall(cmd: list[str], epochs: int, cwd: Path) -> float:
    """Seconds from start to exit of one fresh process; a failure stops the bench."""
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, "--epochs", str(epochs)], cwd=cwd, env=env(),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{cmd[1:4]} --epochs {epochs} failed ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return seconds


def long_epochs(cmd: list[str], short: int, cwd: Path, seconds: float) -> int:
    """Epochs for a long run training about ``seconds``: probe runs 8x longer each time until
    one trains for half a second more than the short run, then extrapolate."""
    t_s, n = wall(cmd, short, cwd), 8 * short
    while True:
        extra = wall(cmd, n, cwd) - t_s
        if extra > 0.5 or n >= 1 << 24:
            break
        n *= 8
    per_epoch = max(extra, 1e-3) / (n - short)
    return max(n, short + int(seconds / per_epoch))


def measure(w: wl.Workload, rounds: int, seconds: float, short: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-cli-{w.key}-") as tmp:
        folder = Path(tmp)
        ours, torch, bpe = prepare(w, folder)
        sides = {"ours": ours, "torch": torch}
        wall(ours, short, folder)                      # fill the Numba cache and .pyc files
        longs = {k: long_epochs(c, short, folder, seconds) for k, c in sides.items()}
        rates: dict[str, list[float]] = {k: [] for k in sides}
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
        for _ in range(rounds):
            t_short = {k: wall(c, short, folder) for k, c in sides.items()}
            t_long = {k: wall(c, longs[k], folder) for k, c in sides.items()}
            for k in sides:
                steps = (longs[k] - short) * bpe
                rates[k].append(steps / max(t_long[k] - t_short[k], 1e-9))
                times[k].append((t_short[k], t_long[k]))
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {"key": w.key, "title": w.title, "bpe": bpe, "short": short, "long": longs,
            "rates": rates, "times": times, "median": med, "ratio": med["ours"] / med["torch"],
            "target": w.target_ratio}


def table(results: list[dict]) -> str:
    rows = [("workload", "epochs S/L ours", "S/L torch", "ours steps/s", "torch", "ours/torch",
             "target", "result", "rounds ours/torch")]
    for r in results:
        spread = "  ".join(f"{a:,.0f}/{b:,.0f}" for a, b in zip(r["rates"]["ours"],
                                                                r["rates"]["torch"]))
        rows.append((f"{r['key']}  {r['title']}", f"{r['short']}/{r['long']['ours']}",
                     f"{r['short']}/{r['long']['torch']}", f"{r['median']['ours']:,.0f}",
                     f"{r['median']['torch']:,.0f}", f"{r['ratio']:.2f}x",
                     f">={r['target']:g}x", "PASS" if r["ratio"] >= r["target"] else "MISS",
                     spread))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(wd) if i in (0, 8) else c.rjust(wd)
                       for i, (c, wd) in enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", metavar="A,B", help="comma-separated workloads (default: all)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of short+long runs (median)")
    p.add_argument("--seconds", type=float, default=3.0,
                   help="training seconds of a long run, each side (default 3)")
    p.add_argument("--short", type=int, default=1, help="epochs of the short run (default 1)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = p.parse_args(argv)
    keys = args.only.split(",") if args.only else list(wl.WORKLOADS)
    unknown = [k for k in keys if k not in wl.WORKLOADS]
    if unknown:
        p.error(f"unknown workload {unknown[0]!r}; choose from {','.join(wl.WORKLOADS)}")
    started = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    load = os.getloadavg()
    results = []
    for key in keys:
        print(f"[bench] {key}: {wl.WORKLOADS[key].title} ...", file=sys.stderr, flush=True)
        results.append(measure(wl.WORKLOADS[key], args.rounds, args.seconds, args.short))
    print(f"playground train against the torch twin, whole processes  ({started})")
    print(f"machine: {wl.cpu_name()}, {os.cpu_count()} cores, {platform.platform()}; load "
          f"average at start {load[0]:.2f}, at end {os.getloadavg()[0]:.2f}")
    print(f"engine: {wl.REPO}; python {platform.python_version()}; one thread per process")
    print(f"steps/s = (L - S) epochs x steps per epoch / (wall time of L - wall time of S), "
          f"median of {args.rounds} rounds\n")
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
