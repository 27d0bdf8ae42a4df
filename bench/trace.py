"""How long ``Trainer.trace`` takes: one step shown, not taken (``playground trace``).

    python bench/trace.py              every workload, one sample and one batch
    python bench/trace.py --reps 500   more timed calls per number

Each number is the median (and the best) of --reps calls of ``trainer.trace(rows)`` on a
trainer of the workload (bench/workloads.py) after a few warm-up calls, 1 BLAS thread, gc off
while timed. "one sample" traces training row 0 alone; "one batch" the batch the next step
takes (the workload's batch size). The text and JSON columns time turning that trace into
``playground trace``'s output (``trace_text.render``, ``json.dumps(trace.to_dict())``).
Targets (issue #12): one sample on 784-256-128-10 (D) under 20 ms, on 2-8x6-1 (B) under 1 ms.
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402

#: one-sample targets in ms (issue #12)
TARGETS = {"B": 1.0, "D": 20.0}


def timed(fn, reps: int) -> tuple[float, float]:
    """(median, best) seconds of ``reps`` calls, after 3 warm-up calls, gc off."""
    for _ in range(3):
        fn()
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return statistics.median(times), min(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=200, help="timed calls per number (200)")
    p.add_argument("--only", metavar="A,B", help="comma-separated workloads (default: all)")
    args = p.parse_args(argv)
    from playground.trace_text import render

    keys = args.only.split(",") if args.only else list(wl.WORKLOADS)
    print(f"playground trace benchmark ({time.strftime('%Y-%m-%d %H:%M:%S')})")
    print(f"machine: {wl.cpu_name()}, {os.cpu_count()} cores, "
          f"{platform.platform()}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"timing: median (best) of {args.reps} calls after 3 warm-up calls, gc off, "
          "1 BLAS thread\n")
    header = (f"{'workload':34s} {'rows':>5s} {'trace ms':>14s} {'target':>7s} {'result':>6s} "
              f"{'text ms':>8s} {'json ms':>8s}")
    print(header)
    print("-" * len(header))
    for key in keys:
        w = wl.WORKLOADS[key]
        trainer = wl.make_trainer(w)
        trainer.run_steps(3)  # an optimizer with state, as a live run has
        for label, rows in (("one sample", [0]), ("one batch", None)):
            med, best = timed(lambda: trainer.trace(rows), args.reps)
            tr = trainer.trace(rows)
            text, _ = timed(lambda: render(tr), max(args.reps // 10, 5))
            js, _ = timed(lambda: json.dumps(tr.to_dict()), max(args.reps // 20, 3))
            target = TARGETS.get(key) if rows is not None else None
            result = "" if target is None else ("PASS" if med * 1e3 < target else "MISS")
            print(f"{key}  {w.title:31s} {len(tr.rows):5d} {med * 1e3:7.3f} ({best * 1e3:.3f})"
                  f" {'' if target is None else f'< {target:g}':>7s} {result:>6s} "
                  f"{text * 1e3:8.2f} {js * 1e3:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
