"""Training throughput of the playground engine against PyTorch and scikit-learn, same run.

    python bench/run.py                 full run (about 3.5 minutes)
    python bench/run.py --quick         short smoke run
    python bench/run.py --only A,B      some workloads
    python bench/run.py --json out.json also save the numbers

steps/s = optimizer steps (batches) per second. Each side runs in a process of its own per
workload (ours: this file with --worker; PyTorch and scikit-learn: bench/peers.py, which
imports nothing of ours), same rows, same initial weights, same thread settings. This process
only orchestrates: it times nothing itself, it asks the workers for timed runs round-robin.
Each number is the median of 5 timed runs (--reps) of whole epochs sized to take about
--seconds each, after a warm-up (our first call JIT-compiles). See bench/README.md for what
each column means.
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
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import peers  # noqa: E402  (the timing harness both sides share; NumPy only)
import workloads as wl  # noqa: E402

RUN_PY = os.path.abspath(__file__)
PEERS_PY = os.path.join(BENCH, "peers.py")
SIDES = ("ours", "torch", "sklearn")
OURS_JOBS = ("run_epochs", "run_steps", "no_eval")


# --- our side's process (--worker ours:KEY --data DIR) ---------------------------------------

def ours_worker(key: str, data_dir: str, backend: str | None) -> int:
    """Build our Trainer, write its rows and initial weights for the peers, then serve the
    timing protocol (peers.serve) for run_epochs, run_steps and training only."""

    def build():
        import numba
        import playground
        w = wl.WORKLOADS[key]
        trainer = wl.make_trainer(w, backend)
        init_written = wl.write_peer_data(trainer, data_dir)
        init_state = trainer.state_dict() if init_written else None
        info = wl.trainer_info(trainer)
        bpe = trainer.batches_per_epoch
        t0 = time.perf_counter()
        trainer.run_epochs(1)   # first call: JIT compile (or load Numba's cache)
        first_epoch_s = time.perf_counter() - t0

        # The initial train loss, for the peers' check that they start from the same network:
        # a second fresh Trainer of the same config (same seed, so the same weights: checked).
        init_loss = None
        if init_state is not None:
            fresh = wl.make_trainer(w, backend)
            same = all(np.array_equal(v, init_state[k]) for k, v in fresh.state_dict().items())
            init_loss = float(fresh.evaluate().train_loss) if same else None
            del fresh

        # Training only: Trainers with the evaluate_epochs switch (the CLI's mode) get it turned
        # off; older ones get their per-epoch evaluate() replaced by a stub returning its last
        # result.
        has_switch = hasattr(trainer, "evaluate_epochs")
        if has_switch:
            trainer.evaluate_epochs = True   # the app's mode, whatever the default becomes
        last = trainer.evaluate()

        dynamics = getattr(trainer, "dynamics", None)
        app_every = getattr(dynamics, "every", 0)

        def no_eval(k: int) -> None:
            if has_switch:
                # as `playground train` without --history: no evaluation, no dynamics
                trainer.evaluate_epochs = False
                if dynamics is not None:
                    dynamics.set_every(0)
                try:
                    trainer.run_epochs(k)
                finally:
                    trainer.evaluate_epochs = True
                    if dynamics is not None:
                        dynamics.set_every(app_every)
                return
            trainer.evaluate = lambda: last
            try:
                trainer.run_epochs(k)
            finally:
                del trainer.evaluate

        jobs = {"run_epochs": peers.Job(trainer.run_epochs, bpe),
                "run_steps": peers.Job(lambda k: trainer.run_steps(k * bpe), bpe),
                "no_eval": peers.Job(no_eval, bpe)}
        hello = {
            "library": "ours", "source": os.path.dirname(os.path.dirname(
                os.path.abspath(playground.__file__))),
            "backend": getattr(trainer, "backend", "n/a"), "rows_train": int(trainer.n_train),
            "rows_test": int(trainer.x_test.shape[0]), "batches_per_epoch": int(bpe),
            "shuffle": bool(trainer.config.train.shuffle),
            "n_params": int(getattr(trainer.model, "n_params", 0)),
            **info, "dtype": str(trainer.x_train.dtype),
            "init_written": init_written, "init_train_loss": init_loss,
            "first_epoch_s": first_epoch_s,
            "no_eval_method": "evaluate_epochs=False" if has_switch else "evaluate() stubbed",
            "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "numba_threads": int(numba.config.NUMBA_NUM_THREADS),
            "blas": peers.threadpools()}

        def finish() -> dict[str, Any]:
            if not trainer.at_epoch_start:
                raise RuntimeError("a timed run ended mid-epoch")
            loss = float(trainer.evaluate().train_loss)
            return {"final_train_loss": loss, "finite": math.isfinite(loss)}
        return jobs, hello, finish

    return peers.serve(build)


# --- the parent: workers and round-robin timing ----------------------------------------------

class WorkerError(RuntimeError):
    def __init__(self, label: str, message: str, missing: str | None = None) -> None:
        super().__init__(f"{label}: {message}")
        self.label, self.message, self.missing = label, message, missing


def _child_env(ours: bool) -> dict[str, str]:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = THREADS
    if not ours:
        env.pop("PLAYGROUND_SRC", None)
    return env


class Worker:
    """One side's process, driven line by line over its stdin/stdout (peers.serve)."""

    def __init__(self, label: str, cmd: list[str], ours: bool) -> None:
        self.label = label
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=_child_env(ours))
        msg = self._recv()
        self.hello: dict[str, Any] = msg["hello"]
        self.jobs: dict[str, int] = msg["jobs"]

    def _recv(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()
        if not line:
            rc = self.proc.wait()
            raise WorkerError(self.label, f"exited with status {rc} without an answer")
        msg = json.loads(line)
        if "error" in msg:
            self.proc.wait()
            err = msg["error"].strip().splitlines()
            raise WorkerError(self.label, err[-1] if err else "failed", msg.get("missing"))
        return msg

    def call(self, op: str, **kw: Any) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        return self._recv()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.call("quit")
            except (WorkerError, OSError, ValueError):
                pass
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()   # our own child, by its handle
                self.proc.wait()


def _job_result(k: int, spu: int, times: list[float], calib: dict[str, Any]) -> dict[str, Any]:
    med, best = statistics.median(times), min(times)
    return {"units": k, "steps": k * spu, "times_s": times, "median_s": med, "best_s": best,
            "steps_per_s": k * spu / med, "best_steps_per_s": k * spu / best,
            "units_per_s": k / med, "best_units_per_s": k / best,
            "spread": max(times) / best - 1, "warmup_s": calib.get("warmup_s")}


def bench_workload(w: wl.Workload, seconds: float, reps: int, skip: set[str],
                   backend: str | None, tmp: str, notes: dict[str, str]) -> dict[str, Any]:
    """Start the three sides' processes, calibrate every job, then time them round-robin
    (rep 1 of each, rep 2 of each, ...), so that a passing disturbance on a shared machine hits
    all columns alike. Only the process being asked runs; the others wait on their stdin."""
    data_dir = os.path.join(tmp, w.key)
    workers: dict[str, Worker] = {}
    try:
        cmd = [sys.executable, RUN_PY, "--threads", THREADS, "--worker", f"ours:{w.key}",
               "--data", data_dir] + (["--backend", backend] if backend else [])
        workers["ours"] = Worker("ours", cmd, ours=True)
        info = workers["ours"].hello
        spec = wl.peer_spec(w, info, data_dir, int(THREADS))
        for lib in ("torch", "sklearn"):
            if lib in skip:
                continue
            cmd = [sys.executable, PEERS_PY, lib, "--threads", THREADS,
                   "--spec", json.dumps(spec)]
            try:
                workers[lib] = Worker(lib, cmd, ours=False)
            except WorkerError as exc:
                if exc.missing and exc.missing.split(".")[0] == lib:
                    skip.add(lib)
                    notes[lib] = f"{lib} is not installed"
                    continue
                raise
            if workers[lib].hello.get("ours_loaded"):
                raise WorkerError(lib, f"imported our modules {workers[lib].hello['ours_loaded']}")

        order = [(side, job) for side, wk in workers.items() for job in wk.jobs]
        calib = {(side, job): workers[side].call("calibrate", job=job, seconds=seconds)
                 for side, job in order}
        times: dict[tuple[str, str], list[float]] = {j: [] for j in order}
        for _ in range(reps):
            for side, job in order:
                times[(side, job)].append(workers[side].call("time", job=job)["t"])
        finals = {side: wk.call("finish") for side, wk in workers.items()}
    finally:
        for wk in workers.values():
            wk.close()

    def res(side: str, job: str) -> dict[str, Any]:
        c = calib[(side, job)]
        return _job_result(c["k"], workers[side].jobs[job], times[(side, job)], c)

    out: dict[str, Any] = {"key": w.key, "title": w.title, "target_ratio": w.target_ratio,
                           "batch": w.batch, "spec": spec}
    out["ours"] = {**info, **{job: res("ours", job) for job in OURS_JOBS},
                   "final": finals["ours"]}
    for lib in ("torch", "sklearn"):
        out[lib] = None if lib not in workers else {
            **workers[lib].hello, "train": res(lib, "train"),
            "with_eval": res(lib, "with_eval"), "final": finals[lib]}
    sizes = wl.layer_sizes(info["n_features"], w, info["n_out"])
    per_row = wl.dense_macs_per_row(sizes)
    out["compute"] = {"layer_sizes": sizes, "macs_per_row_forward": per_row,
                      # forward + backward (input grad + weight grad): 3 x the forward's
                      "train_macs_per_epoch": 3 * info["rows_train"] * per_row,
                      "train_flops_per_epoch": 6 * info["rows_train"] * per_row}
    return out


def measure_peak(reps: int) -> dict[str, Any]:
    cmd = [sys.executable, PEERS_PY, "peak", "--threads", THREADS, "--reps", str(reps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(False))
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _best_peak(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Both measurements' runs in one: the best of all is the peak."""
    if "error" in first or "error" in second:
        return second if "error" in first else first
    times, gflops = first["times_s"] + second["times_s"], first["gflops"] + second["gflops"]
    return {**first, "times_s": times, "gflops": gflops, "best_gflops": max(gflops),
            "processes": 2}


# --- peak memory, in a fresh process ---------------------------------------------------------

def _maxrss_mb() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if sys.platform == "darwin" else r / 1024  # bytes on macOS, KiB on Linux


# Linux carries the exec'ing process's old high-water mark into ru_maxrss, so a child started
# straight from a large process would report that process's size. The child is therefore
# started by a tiny launcher python whose own footprint is far below any result.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def rss_child(side: str, key: str, epochs: int, backend: str | None) -> None:
    w = wl.WORKLOADS[key]
    import playground.engine.trainer  # noqa: F401  (the imports, as the app's process has them)
    after_import = _maxrss_mb()
    trainer = wl.make_trainer(w, backend)
    trainer.run_epochs(epochs)
    print(json.dumps({"after_import_mb": after_import, "peak_mb": _maxrss_mb(),
                      "vmhwm_mb": peers._vmhwm_mb()}))


def measure_rss(side: str, epochs: int, backend: str | None,
                spec: dict[str, Any] | None) -> dict[str, Any] | None:
    if side == "ours":
        cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, RUN_PY, "--threads", THREADS,
               "--rss-child", f"ours:D:{epochs}"] + (["--backend", backend] if backend else [])
    else:
        cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, PEERS_PY, "rss-torch",
               "--threads", THREADS, "--epochs", str(epochs), "--spec", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(side == "ours"))
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


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """Plain aligned text; the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(c.ljust(wd) if i < left else c.rjust(wd)
                         for i, (c, wd) in enumerate(zip(cells, widths))).rstrip()
    sep = "  ".join("-" * wd for wd in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def _m(r: dict[str, Any], side: str, mode: str) -> dict[str, Any] | None:
    """The timed job of a side in a mode ('train': training only, 'eval': with per-epoch
    evaluation, 'steps': ours through run_steps)."""
    s = r.get(side)
    if s is None:
        return None
    name = {"ours": {"train": "no_eval", "eval": "run_epochs", "steps": "run_steps"},
            "torch": {"train": "train", "eval": "with_eval"},
            "sklearn": {"train": "train", "eval": "with_eval"}}[side].get(mode)
    return s.get(name) if name else None


def _sps(m: dict[str, Any] | None, key: str = "steps_per_s") -> float | None:
    return None if m is None else m[key]


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Ratios, verdicts and arithmetic rates (all from medians), added for tables and JSON."""
    peak = results.get("peak") or {}
    peak_g = peak.get("best_gflops")
    for r in results["workloads"]:
        rates = {(side, mode): _sps(_m(r, side, mode)) for side in SIDES
                 for mode in ("train", "eval")}
        r["rates"] = {f"{s}_{m}": v for (s, m), v in rates.items()}
        for mode in ("train", "eval"):
            r[f"ours_over_torch_{mode}"] = _div(rates["ours", mode], rates["torch", mode])
            r[f"ours_over_sklearn_{mode}"] = _div(rates["ours", mode], rates["sklearn", mode])
        r["ours_over_torch"] = r["ours_over_torch_train"]   # the targets' ratio
        r["verdict"] = (None if r["ours_over_torch"] is None else
                        "PASS" if r["ours_over_torch"] >= r["target_ratio"] else "MISS")
        c, bpe = r["compute"], r["ours"]["batches_per_epoch"]
        macs_step = c["train_macs_per_epoch"] / bpe
        c["macs_per_step"] = macs_step
        for side in SIDES:
            m = _m(r, side, "train")
            if m is None:
                continue
            eps = m["units_per_s"]
            g = c["train_flops_per_epoch"] * eps / 1e9
            c[side] = {"ns_per_step": 1e9 / m["steps_per_s"],
                       "ns_per_mac": 1e9 / m["steps_per_s"] / macs_step,
                       "gflops": g, "peak_share": _div(g, peak_g)}
            c[side]["eval_share"] = (None if _m(r, side, "eval") is None else
                                     max(0.0, 1 - _m(r, side, "eval")["steps_per_s"]
                                         / m["steps_per_s"]))
    return results


ARITH_KEYS = {"B": "latency", "C": "throughput", "D": "throughput"}


def report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    peak = results.get("peak") or {}
    load1 = float(meta["loadavg"].split()[0])
    sides = meta.get("sides", {})

    def side_line(side: str) -> str:
        h = sides.get(side)
        if not h:
            return f"  {side}: {'skipped' if side != 'ours' else '-'}"
        if side == "ours":
            return (f"  ours:    python {h['python']}, numpy {h['numpy']}, numba {h['numba']} "
                    f"(NUMBA_NUM_THREADS {h['numba_threads']}); BLAS pools: {h['blas']}")
        if side == "torch":
            return (f"  torch:   {h['version']}, numpy {h['numpy']}; torch.get_num_threads() "
                    f"{h['torch_threads']}, interop {h['interop_threads']}; BLAS pools: "
                    f"{h['blas']}; our modules loaded: {len(h['ours_loaded'])}")
        return (f"  sklearn: {h['version']}, numpy {h['numpy']}; BLAS pools: {h['blas']}; "
                f"our modules loaded: {len(h['ours_loaded'])}")

    out = [f"playground engine benchmark  ({meta['when']})",
           f"machine: {meta['cpu']}, {meta['cores']} cores, {meta['platform']}; "
           f"load average at start {meta['loadavg']}, at end {meta.get('loadavg_end', '?')}",
           *([f"WARNING: the 1-minute load average was {meta['loadavg'].split()[0]} "
              "before the bench started: other processes share the CPU, so absolute numbers "
              "are noisy"] if load1 > 0.5 else []),
           f"engine: {meta['source']}",
           *([f"WARNING: our side's processes imported playground from {imported}"]
             if (imported := sides.get("ours", {}).get("source")) and
             os.path.realpath(imported) != os.path.realpath(str(wl.REPO)) else []),
           f"processes: per workload one per side, each started fresh: ours (run.py --worker), "
           f"torch and sklearn (bench/peers.py: NumPy and the library only, no playground "
           f"import); same rows (.npy from ours), same initial weights, float32",
           f"threads: {meta['threads']} in every process (env {'/'.join(THREAD_VARS)}; "
           f"torch.set_num_threads({meta['threads']}))",
           *[side_line(s) for s in SIDES],
           f"timing: time.perf_counter over whole epochs, ~{meta['seconds']:g} s per run, "
           f"median of {meta['reps']} runs (gc off while timed), after a warm-up;",
           "        the runs of all columns of a workload are interleaved round-robin "
           "across the processes",
           ""]

    rows = []
    for r in results["workloads"]:
        o, q = r["ours"], r["rates"]
        rows.append([
            f"{r['key']}  {r['title']}", f"{o['rows_train']}/{o['rows_test']}", str(r["batch"]),
            str(o["batches_per_epoch"]), _rate(q["ours_train"]), _rate(q["torch_train"]),
            _rate(q["sklearn_train"]), _ratio(r["ours_over_torch_train"]),
            f">={r['target_ratio']:g}x", r["verdict"] or "n/a",
            _ratio(r["ours_over_sklearn_train"])])
    out.append("Training only, steps/s (median of runs; higher is better)")
    out.append(_table(["workload", "train/test", "batch", "steps/ep", "ours", "torch",
                       "sklearn", "ours/torch", "target", "result", "ours/sklearn"], rows))
    out += ["",
            "ours    = Trainer.run_epochs with Trainer.evaluate_epochs = False and no training",
            "          dynamics recorded, as `playground train` without --history: shuffled",
            "          batches, no per-epoch evaluation (the twins record no dynamics either).",
            "torch   = twin loop: zero_grad, forward, loss, backward, step; tensors made once,",
            "          torch.randperm per epoch, batches sliced.",
            "sklearn = MLPClassifier.fit(max_iter=N) (shuffle on, tol 0, no early stopping),",
            "          epochs/s x batches per epoch; a fresh estimator per run."]

    rows = []
    for r in results["workloads"]:
        q, c = r["rates"], r["compute"]
        share = [_num(100 * c[s]["eval_share"], 0) + "%" if s in c and
                 c[s]["eval_share"] is not None else "-" for s in SIDES]
        rows.append([f"{r['key']}  {r['title']}", _rate(q["ours_eval"]), _rate(q["torch_eval"]),
                     _rate(q["sklearn_eval"]), _ratio(r["ours_over_torch_eval"]),
                     _ratio(r["ours_over_sklearn_eval"]), *share])
    out += ["", "With per-epoch evaluation, steps/s (median of runs): at each epoch end a forward "
            "pass over the train and test sets, loss and accuracy, on every side",
            _table(["workload", "ours", "torch", "sklearn", "ours/torch", "ours/sklearn",
                    "eval share ours", "torch", "sklearn"], rows),
            "",
            "ours    = Trainer.run_epochs, what the app does (eval-mode loss + accuracy over",
            "          train and test, the fused kernel's evaluate; dynamics recorded at the",
            "          app's spacing).",
            "torch   = the twin plus model.eval(), no_grad, loss and accuracy read with .item().",
            "sklearn = the same fit, evaluating from its epoch-end hook (_forward_pass_fast,",
            "          log-loss and accuracy in NumPy).",
            "eval share = 1 - (with evaluation)/(training only): the part of that side's time",
            "          spent evaluating."]

    b = next((r for r in results["workloads"] if r["key"] == "B"), None)
    if b is not None:
        e = {s: _m(b, s, "eval") for s in SIDES}
        eps = e["ours"]["units_per_s"]
        verdict = "PASS" if eps >= wl.B_EVAL_TARGET else "MISS"
        out += ["", "B with evaluation every epoch (train AND test loss + accuracy each epoch, "
                "as the app does), epochs/s (median)",
                _table(["measure", "epochs/s", "target", "result"], [
                    ["ours run_epochs", _rate(eps), f">={wl.B_EVAL_TARGET:g}", verdict],
                    ["torch twin + same per-epoch eval",
                     _rate(_sps(e["torch"], "units_per_s")), "", ""],
                    ["sklearn + same per-epoch eval",
                     _rate(_sps(e["sklearn"], "units_per_s")), "", ""]])]

    pk = ("peak: not measured" if not peak else f"peak: failed ({peak['error']})"
          if "error" in peak else
          f"{'one core' if meta['threads'] == 1 else str(meta['threads']) + ' threads'}'s "
          f"peak: {peak['best_gflops']:.1f} GFLOP/s, the best of {len(peak['times_s'])}"
          f" float32 {peak['size']}x{peak['size']} @ {peak['size']}x{peak['size']} products "
          f"(numpy.matmul, {meta['threads']} thread{'s' if meta['threads'] != 1 else ''}; GFLOP/s "
          f"{', '.join(f'{g:.1f}' for g in peak['gflops'])}),\n"
          f"          in a process of its own at the start and one at the end of the bench")
    rows = []
    for r in results["workloads"]:
        c = r["compute"]
        row = [f"{r['key']}  {r['title']}", f"{c['macs_per_step']:,.0f}"]
        for field, fmt in (("ns_per_step", lambda x: f"{x:,.0f}"),
                           ("ns_per_mac", lambda x: f"{x:.2f}"),
                           ("gflops", lambda x: f"{x:.2f}" if x < 10 else f"{x:.1f}"),
                           ("peak_share", lambda x: f"{100 * x:.1f}%")):
            for side in ("ours", "torch"):
                v = c.get(side, {}).get(field)
                row.append("-" if v is None else fmt(v))
        rows.append(row)
    out += ["", "Arithmetic, training only (medians): B is latency-bound (read ns per step and per "
            "multiply-add), C and D compute-bound (read GFLOP/s and the share of the peak)",
            _table(["workload", "MAC/step", "ns/step ours", "torch", "ns/MAC ours", "torch",
                    "GFLOP/s ours", "torch", "% peak ours", "torch"], rows),
            "",
            "MAC/step = 3 x batch x sum over dense layers of (inputs x outputs): the forward's",
            "           multiply-adds, and twice that for the backward (input and weight",
            "           gradients); averaged over an epoch's batches. 1 MAC = 2 FLOP.",
            "GFLOP/s  = 6 x train rows x sum(inputs x outputs) per epoch x epochs/s / 1e9.",
            pk]

    rows = []
    for r in results["workloads"]:
        for side in SIDES:
            if r.get(side) is None:
                continue
            t, e = _m(r, side, "train"), _m(r, side, "eval")
            rows.append([f"{r['key']}  {side}", str(t["units"]), _rate(t["steps_per_s"]),
                         _rate(t["best_steps_per_s"]), f"{100 * t['spread']:.0f}%",
                         str(e["units"]), _rate(e["steps_per_s"]), _rate(e["best_steps_per_s"]),
                         f"{100 * e['spread']:.0f}%"])
    out += ["", "Timed runs, steps/s: median and best (fastest run); spread = slowest/fastest - 1",
            _table(["", "k train", "median", "best", "spread", "k eval", "median", "best",
                    "spread"], rows)]

    rows = []
    for r in results["workloads"]:
        o, t, sk = r["ours"], r["torch"], r["sklearn"]
        il_o, il_t = o.get("init_train_loss"), (t or {}).get("init_train_loss")
        same = ("-" if il_o is None or il_t is None else
                "same" if abs(il_o - il_t) <= 1e-4 * max(1.0, abs(il_o)) else "DIFFER")
        fin = "/".join("-" if r.get(s) is None else "ok" if r[s]["final"]["finite"] else "NaN"
                       for s in SIDES)
        rows.append([r["key"], str(o.get("backend", "n/a")), _rate(_sps(_m(r, "ours", "steps"))),
                     f"{o['first_epoch_s']:.2f}s", _num(il_o, 4), _num(il_t, 4), same,
                     "/".join([(t or {}).get("init", "-").split(" ")[0],
                               (sk or {}).get("init", "-").split(" ")[0]]), fin])
    out += ["", "Details",
            _table(["", "backend", "ours steps", "1st epoch", "init loss ours", "torch",
                    "check", "init torch/sklearn", "loss ours/torch/sklearn"], rows),
            "",
            "backend      = Trainer.backend as chosen (n/a: a Trainer without backends)",
            "ours steps   = run_steps(k*steps/ep), steps/s (median): the same work as ours with",
            "               evaluation through step_batch; it should match that column",
            "1st epoch    = our first run_epochs(1) on a fresh Trainer (JIT compile or Numba "
            "cache load)",
            "init loss    = train loss of the initial network, ours (a fresh Trainer) and the "
            "torch twin's;",
            "               'same' when they agree to 1e-4: the twin starts from our weights",
            "init         = whose initial weights the twins train from (ours: our Trainer's, "
            "from init.npz)",
            "loss         = each side's last train loss is finite (a diverged run would time NaN "
            "arithmetic)"]

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
    for lib, why in results.get("notes", {}).items():
        out.append(f"\n{lib} column skipped: {why}")
    for key, why in results.get("skipped", {}).items():
        out.append(f"\nworkload {key} skipped: {why}")
    out.append(f"\ntotal bench time {results['meta']['total_s']:.0f} s")
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------------

def _source() -> str:
    """Which playground tree is measured, and its git state (read-only git calls)."""
    where = str(wl.REPO)
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
    return {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "source": _source(),
            "cpu": wl.cpu_name(), "cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "threads": int(THREADS), "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "seconds": args.seconds, "reps": args.reps, "quick": args.quick, "sides": {}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="short smoke run (~0.15 s per timed run, short memory runs)")
    p.add_argument("--only", metavar="A,B", help="comma-separated workloads (default: all)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--seconds", type=float, help="target seconds per timed run (default 1.0, "
                   "0.15 with --quick)")
    p.add_argument("--reps", type=int, help="timed runs per number; the median is reported "
                   "(default 5, 3 with --quick)")
    p.add_argument("--threads", default="1", help="BLAS/Numba/torch threads (default 1)")
    p.add_argument("--skip", default="", metavar="torch,sklearn,memory,peak",
                   help="leave out columns, the memory or the peak measurement")
    p.add_argument("--backend", help="pass Trainer(backend=...) (e.g. fused, numpy); default: "
                   "the Trainer's own choice")
    p.add_argument("--src", metavar="DIR", help="benchmark the playground package in DIR "
                   "(e.g. an exported older commit) instead of this checkout")
    p.add_argument("--rss-child", help=argparse.SUPPRESS)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.rss_child:
        side, key, epochs = args.rss_child.split(":")
        rss_child(side, key, int(epochs), args.backend)
        return 0
    if args.worker:
        side, key = args.worker.split(":")
        return ours_worker(key, args.data, args.backend)

    if args.seconds is None:
        args.seconds = 0.15 if args.quick else 1.0
    if args.reps is None:
        args.reps = 3 if args.quick else 5
    if args.reps < 1:
        p.error("--reps must be at least 1")
    keys = list(wl.WORKLOADS)
    if args.only:
        keys = [k.strip().upper() for k in args.only.split(",") if k.strip()]
        bad = [k for k in keys if k not in wl.WORKLOADS]
        if bad:
            p.error(f"unknown workload {', '.join(bad)}; choose from {', '.join(wl.WORKLOADS)}")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    start = time.perf_counter()
    results: dict[str, Any] = {"meta": _meta(args), "workloads": [], "skipped": {},
                               "notes": {}}
    tmp = tempfile.mkdtemp(prefix="playground-bench-")
    try:
        if "peak" not in skip:
            print("[bench] one core's float32 matmul peak (subprocess) ...", file=sys.stderr,
                  flush=True)
            results["peak"] = measure_peak(3 if args.quick else 5)
        for key in keys:
            print(f"[bench] {key}: {wl.WORKLOADS[key].title} ...", file=sys.stderr, flush=True)
            try:
                r = bench_workload(wl.WORKLOADS[key], args.seconds, args.reps, skip,
                                   args.backend, tmp, results["notes"])
            except WorkerError as exc:
                if exc.label != "ours" or not exc.missing:
                    raise
                # e.g. iris and digits come from scikit-learn
                results["skipped"][key] = f"{exc.missing} is not installed ({exc.message})"
                print(f"[bench] {key} skipped: {exc}", file=sys.stderr, flush=True)
                continue
            results["workloads"].append(r)
            for side in SIDES:
                h = r["ours"] if side == "ours" else r[side]
                if h is not None:
                    results["meta"]["sides"].setdefault(side, {
                        k: h.get(k) for k in ("python", "numpy", "numba", "numba_threads",
                                              "version", "torch_threads", "interop_threads",
                                              "blas", "ours_loaded", "source")})
        if "peak" not in skip:   # again at the end: the best of both is the peak
            print("[bench] the peak again (subprocess) ...", file=sys.stderr, flush=True)
            results["peak"] = _best_peak(results["peak"], measure_peak(3 if args.quick else 5))
        d = next((r for r in results["workloads"] if r["key"] == "D"), None)
        if d is not None and "memory" not in skip:
            print("[bench] D peak RSS (subprocesses) ...", file=sys.stderr, flush=True)
            epochs = 2 if args.quick else 10
            results["memory"] = {
                "epochs": epochs, "ours": measure_rss("ours", epochs, args.backend, None),
                "torch": None if "torch" in skip else measure_rss("torch", epochs, None,
                                                                  d["spec"])}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
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
