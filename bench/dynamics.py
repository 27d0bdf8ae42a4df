"""What recording the training dynamics costs (``engine.dynamics``): issue #12's budget is at
most 10% of headless throughput on workload B.

    python bench/dynamics.py               workload B (and A, C, D with --only A,B,C,D)
    python bench/dynamics.py --rounds 80   more rounds (steadier on a busy machine)

For each workload, fresh trainers run whole epochs (``Trainer.run_epochs``) with the recorder
off (``trainer.dynamics.every = 0``: the kernel's dynamics loops see no tensors), at its own
spacing (``every_for``: what the app and ``playground train`` do) and at every epoch, each
with and without the per-epoch evaluation (``evaluate_epochs``; the CLI's ``--history`` turns
it on). Each round times every trainer once on a short run of epochs (about --chunk seconds),
in a new random order; a number is the fastest of its --rounds runs. Short interleaved runs
and the minimum make the comparison hold on a shared machine, whose load moves on a scale of
seconds; a second trainer with the recorder off shows what noise is left. 1 BLAS thread, gc
off while timed. cost = 1 - epochs/s with the recorder / epochs/s without.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (sets the thread variables before NumPy is imported)
import workloads as wl  # noqa: E402

BUDGET = 0.10


def _trainer(w, every: int | None, evaluate: bool):
    t = wl.make_trainer(w)
    t.evaluate_epochs = evaluate
    if every is not None:
        t.dynamics.every = every
    return t


def _fastest(trainers: dict, chunk: float, rounds: int) -> dict:
    """epochs/s of each trainer: the fastest of ``rounds`` interleaved runs of ~chunk s."""
    epochs = {}
    for key, t in trainers.items():    # warm up, then size each run
        t.run_epochs(2)
        t0 = time.perf_counter()
        t.run_epochs(5)
        epochs[key] = max(1, round(5 * chunk / (time.perf_counter() - t0)))
    best = {key: 0.0 for key in trainers}
    order = list(trainers)
    rng = random.Random(0)
    for _ in range(rounds):
        rng.shuffle(order)
        for key in order:
            gc.collect()
            gc.disable()
            t0 = time.perf_counter()
            trainers[key].run_epochs(epochs[key])
            rate = epochs[key] / (time.perf_counter() - t0)
            gc.enable()
            best[key] = max(best[key], rate)
    return best


def main(argv: list[str] | None = None) -> int:
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default="B", metavar="A,B", help="workloads (default B)")
    p.add_argument("--chunk", type=float, default=0.05, help="seconds per timed run (0.05)")
    p.add_argument("--rounds", type=int, default=60, help="interleaved rounds (60)")
    p.add_argument("--threads", default="1", help="BLAS threads (read by bench/run.py)")
    args = p.parse_args(argv)
    meta = bench._meta(argparse.Namespace(seconds=args.chunk, reps=args.rounds, quick=False))
    print(f"playground dynamics cost  ({meta['when']})")
    print(f"machine: {meta['cpu']}, {meta['cores']} cores, {meta['platform']}; load average "
          f"at start {meta['loadavg']}")
    print(f"engine: {meta['source']}")
    print(f"timing: fastest of {args.rounds} interleaved runs of ~{args.chunk:g} s each, gc off, "
          "1 BLAS thread")
    print()
    rows = []
    for key in args.only.split(","):
        w = wl.WORKLOADS[key.strip()]
        trainers, spacing = {}, 0
        for evaluate in (False, True):
            for name, every in (("off", 0), ("twin", 0), ("default", None), ("every", 1)):
                t = _trainer(w, every, evaluate)
                spacing = t.dynamics.every if every is None else spacing
                trainers[(evaluate, name)] = t
        rate = _fastest(trainers, args.chunk, args.rounds)
        for evaluate in (False, True):
            off = rate[(evaluate, "off")]
            for name, label in (("twin", "off (twin)"), ("default", f"every {spacing}"),
                                ("every", "every 1")):
                on = rate[(evaluate, name)]
                cost = 1 - on / off
                verdict = ("PASS" if cost <= BUDGET else "MISS") if name == "default" else ""
                rows.append([f"{w.key}  {w.title}", "yes" if evaluate else "no", label,
                             f"{off:,.0f}", f"{on:,.0f}", f"{100 * cost:+.1f}%", verdict])
    print(bench._table(["workload", "eval", "recorded", "off ep/s", "on ep/s", "cost",
                        "<=10%"], rows, left=3))
    print()
    print("off      = trainer.dynamics.every = 0 (nothing recorded)")
    print("off (twin) = a second such trainer: its \"cost\" is the measurement's noise")
    print("every k  = the recorder's own spacing (engine.dynamics.every_for), as the app and "
          "playground train record")
    print("every 1  = every epoch recorded (for reference; not the default)")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
