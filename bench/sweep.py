"""`playground sweep` against the same runs one after another (issue #13's target).

    python bench/sweep.py                 16 runs of the spiral preset, 100 epochs, 3 reps
    python bench/sweep.py --epochs 1000   longer runs: the fixed costs weigh less
    python bench/sweep.py --json out.json

The sweep: playground/examples/spiral-features.json with ``--set train.optimizer.lr=0.003,0.01,0.03,0.1
--set train.epochs=E --seeds 4``: 16 runs. Every number is the wall time of fresh processes
(time.perf_counter around subprocess.run: interpreter start, imports, writing every file and
exit included), the median of --reps repetitions (the best in brackets), the columns
interleaved round-robin so that a passing disturbance hits each alike:

  sweep --jobs 2       ``python -m playground sweep ... --jobs 2 --quiet``: the measured side
  sweep --jobs 1       the same command, one run at a time (one worker process)
  train x 16           ``python -m playground train DIR/<run>/config.json --export
                       weights.safetensors --quiet`` for each run, one after another: the
                       same runs without the sweep
  runs in one process  the 16 runs back to back in one warm process (imported, kernels
                       loaded, one run first untimed): the training itself, nothing else

The target: sweep --jobs 2 takes at most 0.6 of the time of the same runs one after another.
The ratio is given against each sequential column. Threads: one BLAS thread per process
(the command's default). The machine's load average is printed before and after, with how
fast two CPU-bound processes run at once against one alone (1.00 on two free cores): the
numbers are only as good as the machine was quiet, and --jobs 2 can only gain what a second
free core gives.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads, as the command does

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402

REPO = wl.REPO
PRESET = REPO / "playground" / "examples" / "spiral-features.json"
LRS = "0.003,0.01,0.03,0.1"
SEEDS = 4
TARGET = 0.6


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]]
                                                        if env.get("PYTHONPATH") else []))
    return env


def _timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return dt


def sweep_cmd(epochs: int, jobs: int, out: Path) -> list[str]:
    return [sys.executable, "-m", "playground", "sweep", str(PRESET), "--set",
            f"train.optimizer.lr={LRS}", "--set", f"train.epochs={epochs}", "--seeds",
            str(SEEDS), "--jobs", str(jobs), "--quiet", "--out", str(out)]


def time_sweep(epochs: int, jobs: int, work: Path) -> float:
    out = work / f"sweep-j{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    return _timed(sweep_cmd(epochs, jobs, out), work)


def time_trains(configs: list[Path], work: Path) -> float:
    total = 0.0
    for cfg in configs:
        total += _timed([sys.executable, "-m", "playground", "train", str(cfg), "--quiet",
                         "--export", str(work / "w.safetensors")], work)
    return total


def time_in_process(configs: list[Path], work: Path) -> float:
    """The 16 runs in one fresh process after one untimed warm-up run."""
    proc = subprocess.run([sys.executable, __file__, "--in-process-child",
                           *map(str, configs)], cwd=work, env=_env(), capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return float(proc.stdout.strip())


def in_process_child(configs: list[str]) -> None:
    from playground import config as config_mod
    from playground.cli import export_metadata, load_trainer
    from playground.io.weights import encode_weights

    def one(path: str) -> None:
        cfg = config_mod.load(path)
        t = load_trainer(cfg, Path(path).parent)
        t.evaluate_epochs = True
        for _ in range(cfg.train.epochs):
            t.step_epoch()
        encode_weights("w.safetensors", t.state_dict(), export_metadata(t))

    one(configs[0])
    t0 = time.perf_counter()
    for path in configs:
        one(path)
    print(time.perf_counter() - t0)


BURN = "import time\nt = time.perf_counter()\nx = 0\nfor i in range(6_000_000): x += i\n" \
       "print(time.perf_counter() - t)"


def parallel_efficiency() -> float:
    """How much two CPU-bound processes at once slow each other down here, now: one's time
    alone over the slower of two run together (1.0: two free cores; 0.5: one)."""
    def burn(n: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.PIPE,
                                  text=True) for _ in range(n)]
        return max(float(p.communicate()[0]) for p in procs)
    alone = min(burn(1) for _ in range(3))
    together = min(burn(2) for _ in range(3))
    return alone / together


def machine() -> str:
    return (f"{wl.cpu_name()}, {os.cpu_count()} cores, {platform.platform()}, Python "
            f"{platform.python_version()}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=100, help="epochs per run (default 100)")
    p.add_argument("--reps", type=int, default=3, help="repetitions, the median is shown")
    p.add_argument("--json", metavar="PATH", help="also write the numbers as JSON")
    p.add_argument("--in-process-child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.in_process_child:
        in_process_child(args.in_process_child)
        return 0
    meta = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(),
            "load_before": load(), "epochs": args.epochs, "reps": args.reps}
    print(f"# playground sweep, 16 runs of the spiral preset x {args.epochs} epochs "
          f"({meta['when']})")
    print(f"machine: {meta['machine']}")
    meta["parallel_before"] = parallel_efficiency()
    print(f"load average before: {meta['load_before']}; two CPU-bound processes at once run "
          f"at {meta['parallel_before']:.2f} of one's speed (1.00: two free cores)")
    times: dict[str, list[float]] = {"sweep --jobs 2": [], "sweep --jobs 1": [],
                                     "train x 16": [], "runs in one process": []}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        work = Path(tmp)
        time_sweep(args.epochs, 2, work)   # fills .pyc and Numba caches; its configs below
        configs = sorted((work / "sweep-j2").glob("*/config.json"))
        assert len(configs) == 16, configs
        for _ in range(args.reps):
            times["sweep --jobs 2"].append(time_sweep(args.epochs, 2, work))
            times["sweep --jobs 1"].append(time_sweep(args.epochs, 1, work))
            times["train x 16"].append(time_trains(configs, work))
            times["runs in one process"].append(time_in_process(configs, work))
    meta["load_after"] = load()
    meta["parallel_after"] = parallel_efficiency()
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    print()
    print("| measured | wall s: median (best) | sweep --jobs 2 / this: median (best) "
          "| target <= 0.6 |")
    print("|---|---|---|---|")
    for key in times:
        if key == "sweep --jobs 2":
            print(f"| {key} | {med[key]:.2f} ({best[key]:.2f}) | | |")
            continue
        ratio, best_ratio = med["sweep --jobs 2"] / med[key], best["sweep --jobs 2"] / best[key]
        verdict = ("(floor)" if key == "runs in one process" else
                   "PASS" if ratio <= TARGET else "MISS")
        print(f"| {key} | {med[key]:.2f} ({best[key]:.2f}) | {ratio:.2f} ({best_ratio:.2f}) "
              f"| {verdict} |")
    print(f"\nload average after: {meta['load_after']}; two processes at once at "
          f"{meta['parallel_after']:.2f} of one's speed")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "times": times}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
