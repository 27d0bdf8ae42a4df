"""Training throughput of the playground engine against PyTorch and scikit-learn, same run.

    python bench/run.py                 full run (about 2.5 minutes)
    python bench/run.py --quick         short smoke run
    python bench/run.py --only A,B      some workloads
    python bench/run.py --json out.json also save the numbers

steps/s = optimizer steps (batches) per second. Each number is the best of 3 timed runs
(--reps) of whole epochs sized to take about --seconds each, after a warm-up (our first call
JIT-compiles). See bench/README.md for what each column means.
"""

from __future__ import annotations

import os
import sys


def _early_option(argv: list[str], name: str, default: str | None) -> str | None:
    """--threads and --src must act before NumPy (and its BLAS) and playground are imported."""
    value = default
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS")
THREADS = _early_option(sys.argv[1:], "--threads", "1")
for _var in THREAD_VARS:
    os.environ[_var] = THREADS
_SRC = _early_option(sys.argv[1:], "--src", None)
if _SRC:
    os.environ["PLAYGROUND_SRC"] = os.path.abspath(_SRC)

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402


# --- timing ----------------------------------------------------------------------------------

def _timed(fn: Callable[[int], None], k: int) -> float:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn(k)
        return time.perf_counter() - t0
    finally:
        if was_enabled:
            gc.enable()


class Job:
    """One number to measure: fn(k) runs k whole epochs of steps_per_unit steps each."""

    def __init__(self, fn: Callable[[int], None], steps_per_unit: int,
                 warmup_units: int = 2) -> None:
        self.fn, self.steps_per_unit, self.warmup_units = fn, steps_per_unit, warmup_units
        self.k = 1
        self.times: list[float] = []

    def calibrate(self, seconds: float) -> None:
        """Warm up, grow k until a run takes a tenth of the target, then size k for it."""
        self.fn(self.warmup_units)
        k = 1
        while True:
            t = _timed(self.fn, k)
            if t >= max(0.1 * seconds, 0.01) or k >= 1 << 20:
                break
            k *= 2
        self.k = max(1, math.ceil(k * seconds / max(t, 1e-9)))

    def result(self) -> dict[str, Any]:
        best = min(self.times)
        return {"units": self.k, "steps": self.k * self.steps_per_unit, "times_s": self.times,
                "best_s": best, "steps_per_s": self.k * self.steps_per_unit / best,
                "units_per_s": self.k / best}


def run_jobs(jobs: dict[str, Job], seconds: float, reps: int) -> dict[str, dict[str, Any]]:
    """Calibrate every job, then time them round-robin (rep 1 of each, rep 2 of each, ...),
    so that a passing disturbance on a shared machine hits all columns alike."""
    for job in jobs.values():
        job.calibrate(seconds)
    for _ in range(reps):
        for job in jobs.values():
            job.times.append(_timed(job.fn, job.k))
    return {name: job.result() for name, job in jobs.items()}


# --- one workload ----------------------------------------------------------------------------

def bench_workload(w: wl.Workload, seconds: float, reps: int, skip: set[str],
                   backend: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"key": w.key, "title": w.title, "target_ratio": w.target_ratio,
                           "batch": w.batch}
    trainer = wl.make_trainer(w, backend)
    bpe = trainer.batches_per_epoch
    ours: dict[str, Any] = {"backend": getattr(trainer, "backend", "n/a"),
                            "rows_train": trainer.n_train,
                            "rows_test": int(trainer.x_test.shape[0]),
                            "batches_per_epoch": bpe, "shuffle": trainer.config.train.shuffle,
                            "n_params": int(getattr(trainer.model, "n_params", 0))}
    t0 = time.perf_counter()
    trainer.run_epochs(1)   # first call: JIT compile (or load Numba's cache)
    ours["first_epoch_s"] = time.perf_counter() - t0

    # Training only. Trainers with the evaluate_epochs switch (the CLI's mode) get it turned
    # off; older ones get their per-epoch evaluate() replaced by a stub returning its last result.
    has_switch = hasattr(trainer, "evaluate_epochs")
    if has_switch:
        trainer.evaluate_epochs = True   # the app's mode, whatever the default becomes
    ours["no_eval_method"] = "evaluate_epochs=False" if has_switch else "evaluate() stubbed"
    last = trainer.evaluate()
    stub_calls = [0]

    def stub():
        stub_calls[0] += 1
        return last

    def no_eval(k: int) -> None:
        if has_switch:
            trainer.evaluate_epochs = False
            try:
                trainer.run_epochs(k)
            finally:
                trainer.evaluate_epochs = True
            stub_calls[0] += 1
            return
        trainer.evaluate = stub
        try:
            trainer.run_epochs(k)
        finally:
            del trainer.evaluate

    jobs = {"run_epochs": Job(trainer.run_epochs, bpe),
            "run_steps": Job(lambda k: trainer.run_steps(k * bpe), bpe),
            "no_eval": Job(no_eval, bpe)}
    a = wl.arrays_of(trainer)
    if "torch" not in skip:
        try:
            twin = wl.TorchTwin(w, a)
        except ImportError:
            skip.add("torch")
        else:
            jobs["torch"] = Job(twin.run_epochs, twin.bpe)
            jobs["torch_eval"] = Job(lambda k: twin.run_epochs(k, evaluate=True), twin.bpe)
    if "sklearn" not in skip:
        try:
            import sklearn.neural_network  # noqa: F401
        except ImportError:
            skip.add("sklearn")
        else:
            sk = wl.SklearnTwin(w, a)
            jobs["sklearn"] = Job(sk.run_epochs, sk.bpe, warmup_units=1)

    res = run_jobs(jobs, seconds, reps)
    assert trainer.at_epoch_start
    ours["run_epochs"], ours["run_steps"] = res["run_epochs"], res["run_steps"]
    ours["no_eval"] = res["no_eval"] if stub_calls[0] else None
    ours["final_train_loss"] = trainer.evaluate().train_loss
    out["ours"] = ours
    out["torch"] = ({"train": res["torch"], "with_eval": res["torch_eval"]}
                    if "torch" in res else None)
    out["sklearn"] = res.get("sklearn")
    return out


# --- peak memory, in a fresh process ---------------------------------------------------------

def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if sys.platform == "darwin" else r / 1024  # bytes on macOS, KiB on Linux


def _vmhwm_mb() -> float | None:
    """Linux's per-address-space high-water mark (a cross-check of ru_maxrss)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# Linux carries the exec'ing process's old high-water mark into ru_maxrss, so a child started
# straight from this (torch-laden) process would report this process's size. The child is
# therefore started by a tiny launcher python whose own footprint is far below any result.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def rss_child(side: str, key: str, epochs: int, backend: str | None) -> None:
    """Runs in its own process: import, build, train, print peak RSS as JSON."""
    w = wl.WORKLOADS[key]
    if side == "torch" and w.source != "synthetic":
        raise SystemExit("the torch memory child supports the synthetic workload only")
    if side == "ours":
        import playground.engine.trainer  # noqa: F401
        after_import = _maxrss_mb()
        trainer = wl.make_trainer(w, backend)
        trainer.run_epochs(epochs)
    else:
        import torch
        torch.set_num_threads(int(THREADS))
        after_import = _maxrss_mb()
        a = wl.synthetic_arrays()
        twin = wl.TorchTwin(w, a)
        twin.run_epochs(epochs)
    print(json.dumps({"after_import_mb": after_import, "peak_mb": _maxrss_mb(),
                      "vmhwm_mb": _vmhwm_mb()}))


def measure_rss(side: str, key: str, epochs: int, backend: str | None) -> dict[str, Any] | None:
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, os.path.abspath(__file__),
           "--threads", THREADS, "--rss-child", f"{side}:{key}:{epochs}"]
    if backend:
        cmd += ["--backend", backend]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        if side == "torch" and "No module named 'torch'" in proc.stderr:
            return None
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else
                f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- report ----------------------------------------------------------------------------------

def _rate(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def _ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def _table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """Plain aligned text; the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(c.ljust(wd) if i < left else c.rjust(wd)
                         for i, (c, wd) in enumerate(zip(cells, widths))).rstrip()
    sep = "  ".join("-" * wd for wd in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def _sps(m: dict[str, Any] | None) -> float | None:
    return None if m is None else m["steps_per_s"]


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Ratios and verdicts, added to the results for the table and the JSON."""
    for r in results["workloads"]:
        ours = _sps(r["ours"]["run_epochs"])
        torch = _sps(r["torch"]["train"]) if r["torch"] else None
        skl = _sps(r["sklearn"])
        r["ours_over_torch"] = ours / torch if torch else None
        r["ours_over_sklearn"] = ours / skl if skl else None
        r["verdict"] = (None if torch is None else
                        "PASS" if r["ours_over_torch"] >= r["target_ratio"] else "MISS")
    return results


def report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    out = [f"playground engine benchmark  ({meta['when']})",
           f"machine: {meta['cpu']}, {meta['cores']} cores, {meta['platform']}; "
           f"load average at start {meta['loadavg']}, at end {meta.get('loadavg_end', '?')}",
           *([f"WARNING: the 1-minute load average was {meta['loadavg'].split()[0]} "
              "before the bench started: other processes share the CPU, so absolute numbers "
              "are noisy"] if float(meta["loadavg"].split()[0]) > 0.5 else []),
           f"engine: {meta['source']}",
           f"versions: python {meta['python']}, numpy {meta['numpy']}, numba {meta['numba']}, "
           f"torch {meta['torch'] or 'missing'}, scikit-learn {meta['sklearn'] or 'missing'}",
           f"threads: {meta['threads']} (env {'/'.join(THREAD_VARS)}; "
           f"torch.set_num_threads({meta['threads']})); BLAS pools: {meta['blas']}",
           f"timing: time.perf_counter over whole epochs, ~{meta['seconds']:g} s per run, "
           f"best of {meta['reps']} runs (gc off while timed), after a warm-up;",
           "        the runs of all columns of a workload are interleaved round-robin",
           ""]
    rows = []
    for r in results["workloads"]:
        o = r["ours"]
        rows.append([
            f"{r['key']}  {r['title']}", f"{o['rows_train']}/{o['rows_test']}", str(r["batch"]),
            str(o["batches_per_epoch"]),
            _rate(_sps(o["run_epochs"])),
            _rate(_sps(r["torch"]["train"]) if r["torch"] else None),
            _rate(_sps(r["sklearn"])),
            _ratio(r["ours_over_torch"]), f">={r['target_ratio']:g}x", r["verdict"] or "n/a",
            _ratio(r["ours_over_sklearn"]),
        ])
    out.append("Training throughput, steps/s (best of runs; higher is better)")
    out.append(_table(["workload", "train/test", "batch", "steps/ep", "ours", "torch",
                       "sklearn", "ours/torch", "target", "result", "ours/sklearn"], rows))
    out += ["",
            "ours    = Trainer.run_epochs: shuffled batches (train.shuffle true) AND the app's",
            "          per-epoch evaluation (eval-mode loss + accuracy over train and test).",
            "torch   = twin loop, training only: zero_grad, forward, loss, backward, step;",
            "          tensors made once, torch.randperm per epoch, batches sliced.",
            "sklearn = MLPClassifier.fit(max_iter=N) (shuffle on, tol 0, no early stopping),",
            "          epochs/s x batches per epoch. So ours/torch is conservative for ours."]

    b = next((r for r in results["workloads"] if r["key"] == "B"), None)
    if b is not None:
        eps = b["ours"]["run_epochs"]["units_per_s"]
        verdict = "PASS" if eps >= wl.B_EVAL_TARGET else "MISS"
        tb = b["torch"]["with_eval"]["units_per_s"] if b["torch"] else None
        out += ["", "B with evaluation every epoch (Trainer.run_epochs; train AND test loss + "
                "accuracy each epoch, as the app does)",
                _table(["measure", "epochs/s", "target", "result"], [
                    ["ours run_epochs", _rate(eps), f">={wl.B_EVAL_TARGET:g}", verdict],
                    ["torch twin + same per-epoch eval", _rate(tb), "", ""]])]

    rows = []
    for r in results["workloads"]:
        o = r["ours"]
        ep, st, ne = (_sps(o["run_epochs"]), _sps(o["run_steps"]), _sps(o["no_eval"]))
        share = None if ne is None else max(0.0, 1 - ep / ne)
        t = r["torch"]
        tt = _sps(t["train"]) if t else None
        te = _sps(t["with_eval"]) if t else None
        rows.append([r["key"], str(o.get("backend", "n/a")), _rate(ep), _rate(st), _rate(ne),
                     "-" if share is None else f"{100 * share:.0f}%",
                     _rate(tt), _rate(te),
                     _ratio(ne / tt if ne and tt else None),
                     _ratio(ep / te if te else None),
                     f"{o['first_epoch_s']:.2f}s",
                     "ok" if math.isfinite(o["final_train_loss"]) else "NaN/inf"])
    out += ["", "Details, steps/s",
            _table(["", "backend", "ours epochs", "ours steps", "ours no-eval", "eval share",
                    "torch", "torch+eval", "no-eval/torch", "eval/torch+eval", "1st epoch", "loss"],
                   rows),
            "",
            "backend      = Trainer.backend as chosen (n/a: a Trainer without backends)",
            "ours epochs  = run_epochs(k)           (= the main table's ours)",
            "ours steps   = run_steps(k*steps/ep)   (same work through step_batch; also "
            "evaluates at each epoch end)",
            "ours no-eval = run_epochs(k) without the per-epoch evaluation: "
            "Trainer.evaluate_epochs = False",
            "               (older Trainers: evaluate() stubbed); training only, like the "
            "torch column",
            "eval share   = 1 - epochs/no-eval: the part of our time spent in per-epoch "
            "evaluation",
            "torch+eval   = torch twin plus the same per-epoch eval (no_grad, eval mode, "
            "loss/accuracy .item())",
            "1st epoch    = our first run_epochs(1) on a fresh Trainer (JIT compile or Numba "
            "cache load)",
            "loss         = our last recorded train loss is finite"]

    mem = results.get("memory")
    if mem:
        def fmt(m):
            if m is None:
                return "skipped (torch missing)"
            if "error" in m:
                return f"failed: {m['error']}"
            hwm = "" if m.get("vmhwm_mb") is None else f", VmHWM {m['vmhwm_mb']:.0f} MB"
            return (f"{m['peak_mb']:.0f} MB peak ({m['after_import_mb']:.0f} MB after "
                    f"imports{hwm})")
        out += ["", f"Peak RSS on D (resource.getrusage ru_maxrss, each side in its own fresh "
                f"process, {mem['epochs']} epochs of training)",
                f"  ours:  {fmt(mem['ours'])}", f"  torch: {fmt(mem['torch'])}"]
    for key, why in results.get("skipped", {}).items():
        out.append(f"\nworkload {key} skipped: {why}")
    out.append(f"\ntotal bench time {results['meta']['total_s']:.0f} s")
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------------

def _source() -> str:
    """Which playground tree is measured, and its git state (read-only git calls)."""
    import playground
    where = os.path.dirname(os.path.dirname(os.path.abspath(playground.__file__)))
    try:
        head = subprocess.run(["git", "-C", where, "log", "-1", "--format=%h %s"],
                              capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", where, "status", "--porcelain", "--", "playground"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return where
    if head.returncode != 0:
        return f"{where} (not a git checkout)"
    n = len([x for x in dirty.stdout.splitlines() if x.strip()])
    state = f"{n} uncommitted file(s) in playground/" if n else "clean"
    return f"{where} at {head.stdout.strip()[:60]} ({state})"


def _meta(args) -> dict[str, Any]:
    import numba
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch
        torch_v = torch.__version__
    except ImportError:
        torch_v = None
    try:
        import sklearn
        skl_v = sklearn.__version__
    except ImportError:
        skl_v = None
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info())
    except Exception:  # threadpoolctl missing or confused: informational only
        blas = "unknown"
    return {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "source": _source(), "cpu": cpu,
            "cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "torch": torch_v,
            "sklearn": skl_v, "threads": int(THREADS), "blas": blas or "none loaded",
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "seconds": args.seconds, "reps": args.reps, "quick": args.quick}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="short smoke run (~0.15 s per timed run, short memory runs)")
    p.add_argument("--only", metavar="A,B", help="comma-separated workloads (default: all)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--seconds", type=float, help="target seconds per timed run (default 1.0, "
                   "0.15 with --quick)")
    p.add_argument("--reps", type=int, default=3, help="timed runs per number; best is kept")
    p.add_argument("--threads", default="1", help="BLAS/Numba/torch threads (default 1)")
    p.add_argument("--skip", default="", metavar="torch,sklearn,memory",
                   help="leave out columns or the memory measurement")
    p.add_argument("--backend", help="pass Trainer(backend=...) (e.g. fused, numpy); default: "
                   "the Trainer's own choice")
    p.add_argument("--src", metavar="DIR", help="benchmark the playground package in DIR "
                   "(e.g. an exported older commit) instead of this checkout")
    p.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.rss_child:
        side, key, epochs = args.rss_child.split(":")
        rss_child(side, key, int(epochs), args.backend)
        return 0

    if args.seconds is None:
        args.seconds = 0.15 if args.quick else 1.0
    keys = list(wl.WORKLOADS)
    if args.only:
        keys = [k.strip().upper() for k in args.only.split(",") if k.strip()]
        bad = [k for k in keys if k not in wl.WORKLOADS]
        if bad:
            p.error(f"unknown workload {', '.join(bad)}; choose from {', '.join(wl.WORKLOADS)}")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    try:
        import torch
        torch.set_num_threads(int(THREADS))
    except ImportError:
        skip.add("torch")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        skip.add("sklearn")

    start = time.perf_counter()
    results: dict[str, Any] = {"meta": _meta(args), "workloads": [], "skipped": {}}
    for key in keys:
        print(f"[bench] {key}: {wl.WORKLOADS[key].title} ...", file=sys.stderr, flush=True)
        try:
            results["workloads"].append(bench_workload(wl.WORKLOADS[key], args.seconds,
                                                       args.reps, skip, args.backend))
        except ImportError as exc:  # e.g. iris and digits come from scikit-learn
            results["skipped"][key] = f"{type(exc).__name__}: {exc}"
            print(f"[bench] {key} skipped: {exc}", file=sys.stderr, flush=True)
    if "D" in keys and "memory" not in skip:
        print("[bench] D peak RSS (subprocesses) ...", file=sys.stderr, flush=True)
        epochs = 2 if args.quick else 10
        results["memory"] = {
            "epochs": epochs, "ours": measure_rss("ours", "D", epochs, args.backend),
            "torch": None if "torch" in skip else measure_rss("torch", "D", epochs, None)}
    results["meta"]["total_s"] = time.perf_counter() - start
    results["meta"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    summarize(results)
    print(report(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
