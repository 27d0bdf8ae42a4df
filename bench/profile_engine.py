"""cProfile of our engine's Trainer.run_epochs on one workload (after a warm-up epoch).

    python bench/profile_engine.py                  workload B, 1000 epochs, by own time
    python bench/profile_engine.py --workload C --epochs 20 --sort cumulative
    python bench/profile_engine.py --backend numpy  force a Trainer backend

(Not named profile.py: bench/ is first on sys.path and would shadow the standard library's
profile module, which cProfile imports.) Numba-compiled functions show up as one opaque call.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", default="B", choices=list(wl.WORKLOADS))
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    p.add_argument("--limit", type=int, default=25)
    p.add_argument("--backend", help="Trainer(backend=...)")
    p.add_argument("--no-eval", action="store_true",
                   help="Trainer.evaluate_epochs = False (no per-epoch evaluation)")
    args = p.parse_args(argv)

    w = wl.WORKLOADS[args.workload]
    trainer = wl.make_trainer(w, args.backend)
    if args.no_eval:
        if not hasattr(trainer, "evaluate_epochs"):
            p.error("this Trainer has no evaluate_epochs switch")
        trainer.evaluate_epochs = False
    trainer.run_epochs(1)  # JIT compile / cache load
    t0 = time.perf_counter()
    trainer.run_epochs(args.epochs)
    plain = time.perf_counter() - t0
    prof = cProfile.Profile()
    prof.enable()
    trainer.run_epochs(args.epochs)
    prof.disable()
    steps = args.epochs * trainer.batches_per_epoch
    evaluating = getattr(trainer, "evaluate_epochs", True)
    print(f"workload {w.key} ({w.title}), backend {getattr(trainer, 'backend', 'n/a')}, "
          f"{'with' if evaluating else 'without'} per-epoch evaluation: "
          f"{args.epochs} epochs = {steps} steps; without the profiler "
          f"{args.epochs / plain:,.0f} epochs/s, {steps / plain:,.0f} steps/s")
    pstats.Stats(prof).strip_dirs().sort_stats(args.sort).print_stats(args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
