"""Start-up cost: from a shell command to the first trained epoch, cold and warm Numba cache.

    python bench/startup.py                  workload B's config, 3 runs of each
    python bench/startup.py --config playground/examples/iris-notebook.json
    python bench/startup.py --json out.json
    python bench/startup.py --app-only       only the app's launch-to-first-epoch runs

Each measurement is a fresh subprocess timed with time.perf_counter around subprocess.run
(wall clock, interpreter start and exit included):
  python -c pass                          the interpreter alone (the floor)
  import playground.engine.trainer        importing the engine, cold and warm Numba cache
  playground train CONFIG --epochs 1      `python -m playground train CONFIG --epochs 1 --quiet`:
                                          load data, build, compile or load kernels, one epoch
  app: launch to first epoch            the desktop app as `playground` starts it (``run_app``,
                                          offscreen, a new user's settings), Step epoch pressed
                                          as soon as the window is shown; until the epoch label
                                          reads "Epoch 1". Then it runs on until the kernels'
                                          warm-up ends and the run has moved to them; each
                                          phase is listed (window shown, Step to epoch, the
                                          engine that trained it, kernels ready, run moved).
cold = NUMBA_CACHE_DIR set to a new empty folder for every run (Numba compiles everything);
warm = NUMBA_CACHE_DIR set to the folder a cold run filled (Numba loads its cache).
Python's .pyc files are warm in both: they are kept in a temporary PYTHONPYCACHEPREFIX (this
environment may set PYTHONDONTWRITEBYTECODE, which a user's normally does not; --inherit-pyc
keeps the environment's setting). The very first run, which fills them, is listed on its own.
Threads are left at the library defaults, as a user runs it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_SRC = None
for _i, _a in enumerate(sys.argv):  # --src must act before workloads imports playground
    if _a == "--src" and _i + 1 < len(sys.argv):
        _SRC = sys.argv[_i + 1]
    elif _a.startswith("--src="):
        _SRC = _a.split("=", 1)[1]
if _SRC:
    os.environ["PLAYGROUND_SRC"] = os.path.abspath(_SRC)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as wl  # noqa: E402


PYC_PREFIX: str | None = None  # set by main(): where the children keep their .pyc files


def _env(cache_dir: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if PYC_PREFIX is not None:
        # As on a user's machine, .pyc files are written and reused; kept in a temporary
        # mirror tree (PYTHONPYCACHEPREFIX) so that nothing is written into the checkout.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = PYC_PREFIX
    env["PYTHONPATH"] = os.pathsep.join([str(wl.REPO)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("PLAYGROUND_SRC", None)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    return env


def _source_stamp() -> tuple[float, int]:
    """Newest modification time and file count of the measured package's sources."""
    files = list((wl.REPO / "playground").rglob("*.py"))
    return max((p.stat().st_mtime for p in files), default=0.0), len(files)


_last_stamp: list = [None]


def _run(cmd: list[str], cache_dir: str | None, cwd: str) -> dict[str, Any]:
    before = _source_stamp()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=_env(cache_dir), cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    after = _source_stamp()
    # An edited source file invalidates Numba's cache entries for it: flag runs that follow
    # (or overlap) an edit, on a checkout someone is working in.
    changed = after != before or (_last_stamp[0] is not None and before != _last_stamp[0])
    _last_stamp[0] = after
    out: dict[str, Any] = {"seconds": dt, "returncode": proc.returncode,
                           "source_changed": changed}
    if proc.returncode != 0:
        out["stderr"] = proc.stderr.strip()[-2000:]
    return out


#: The app's launch, driven from inside: ``run_app`` as the `playground` command calls it, a
#: timer pressing Step epoch once the window is shown. Prints one JSON line of
#: time.monotonic() stamps (a system-wide clock: the parent subtracts its own start).
_APP_FIRST_EPOCH = r"""
import json, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from playground.ui.app import run_app
from playground.ui.main_window import MainWindow

stamps = {"started": time.monotonic()}
app = QApplication(sys.argv[:1])

def drive():
    w = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    stamps["shown"] = time.monotonic()
    def seen(snap):
        engine = getattr(snap, "engine", "n/a")   # n/a: an engine before issue #14
        if snap.epoch >= 1 and "engine" not in stamps:
            stamps["engine"] = engine
        if engine == "fused" and "moved" not in stamps:
            stamps["moved"] = time.monotonic()
    w.controller.snapshot_ready.connect(seen)
    w.step_epoch_action.trigger()
    stamps["step"] = time.monotonic()
    def poll():
        now = time.monotonic()
        if "epoch" not in stamps and w.epoch_label.text() == "Epoch 1":
            stamps["epoch"] = now
        if "ready" not in stamps and w.engine_ready_state:
            stamps["ready"] = now
        done = all(k in stamps for k in ("epoch", "ready")) and (
            "moved" in stamps or stamps.get("engine") == "n/a")
        if done or now - stamps["started"] > 600:
            timer.stop()
            for top in QApplication.topLevelWidgets():
                top.close()
            app.quit()
    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(2)
    drive.timer = timer

QTimer.singleShot(0, drive)
code = run_app()
print(json.dumps(stamps), flush=True)
"""
#: app phases reported, as (stamp, label): seconds from the launch
APP_PHASES = (("shown", "window shown"), ("epoch", "first epoch shown"),
              ("ready", "kernels ready"), ("moved", "run moved to them"))


def _run_app(cache_dir: str, cwd: str) -> dict[str, Any]:
    """One launch of the app to its first trained epoch (see ``_APP_FIRST_EPOCH``)."""
    env = _env(cache_dir)
    env["QT_QPA_PLATFORM"] = env.get("PG_BENCH_QPA", "offscreen")
    home = tempfile.mkdtemp(prefix="home-", dir=cwd)
    env["XDG_CONFIG_HOME"] = os.path.join(home, "config")   # a new user's settings
    env["XDG_DATA_HOME"] = os.path.join(home, "data")       # and no autosave to offer
    before = _source_stamp()
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _APP_FIRST_EPOCH], env=env, cwd=cwd,
                          capture_output=True, text=True)
    after = _source_stamp()
    changed = after != before or (_last_stamp[0] is not None and before != _last_stamp[0])
    _last_stamp[0] = after
    out: dict[str, Any] = {"returncode": proc.returncode, "source_changed": changed}
    try:
        stamps = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        stamps = {}
    if proc.returncode != 0 or "epoch" not in stamps:
        out["returncode"] = proc.returncode or 1
        out["stderr"] = (proc.stderr.strip() or "no first epoch")[-2000:]
    out["seconds"] = stamps.get("epoch", time.monotonic()) - t0
    out["phases"] = {k: stamps[k] - t0 for k, _ in APP_PHASES if k in stamps}
    out["phases"]["step to epoch"] = stamps.get("epoch", math.nan) - stamps.get("step", math.nan)
    out["engine"] = stamps.get("engine", "?")
    return out


def _cache_size(folder: str) -> tuple[int, int]:
    files = [p for p in Path(folder).rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _import_profile(cwd: str, cache_dir: str, min_s: float = 0.02,
                    max_depth: int = 3) -> list[tuple[float, str]]:
    """Imports of `import playground.engine.trainer` that take at least min_s cumulative and
    sit at most max_depth levels deep, in python -X importtime's order (a module's imports are
    listed before it), indented by depth."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "import playground.engine.trainer"],
                          env=_env(cache_dir), cwd=cwd, capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cum_us, name = line.split(":", 1)[1].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if int(cum_us) / 1e6 >= min_s and depth <= max_depth:
            rows.append((int(cum_us) / 1e6, name[1:].rstrip()))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", help="run config to train (default: workload B, the spiral)")
    p.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--src", metavar="DIR", help="measure the playground package in DIR")
    p.add_argument("--keep", action="store_true", help="keep the temporary folders")
    p.add_argument("--app-only", action="store_true",
                   help="only the app's launch-to-first-epoch runs, cold and warm cache")
    p.add_argument("--inherit-pyc", action="store_true",
                   help="keep this environment's bytecode settings (PYTHONDONTWRITEBYTECODE, "
                        "PYTHONPYCACHEPREFIX) instead of warm .pyc files in a temporary prefix")
    args = p.parse_args(argv)

    global PYC_PREFIX
    work = tempfile.mkdtemp(prefix="pg-startup-")
    if not args.inherit_pyc:
        PYC_PREFIX = os.path.join(work, "pyc")
    try:
        if args.config:
            config = os.path.abspath(args.config)
            label = os.path.relpath(config)
        else:
            config = os.path.join(work, "B-spiral.json")
            with open(config, "w", encoding="utf-8") as f:
                json.dump(wl.WORKLOADS["B"].config_dict(), f, indent=2)
            label = "workload B (spiral 500, 2-8x6-1 tanh, sgd, batch 10)"
        py = sys.executable
        train = [py, "-m", "playground", "train", config, "--epochs", "1", "--quiet"]
        imp = [py, "-c", "import playground.engine.trainer"]

        def fresh() -> str:
            return tempfile.mkdtemp(prefix="numba-cold-", dir=work)

        results: dict[str, Any] = {
            "config": label, "python": py, "source": str(wl.REPO),
            "bytecode": ("inherited: PYTHONDONTWRITEBYTECODE="
                         f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}" if args.inherit_pyc
                         else "warm .pyc files (temporary PYTHONPYCACHEPREFIX, filled by the "
                              "first run)"),
            "runs": {}}
        print(f"[startup] measuring ({args.runs} runs each) ...", file=sys.stderr, flush=True)
        if args.app_only:
            _measure_app(results, args.runs, fresh, work)
            return _finish(results, args, work)
        # The very first run: cold Numba cache and (unless inherited) no .pyc files yet.
        results["runs"]["train 1 epoch, first run ever"] = [_run(train, fresh(), work)]
        results["runs"]["python -c pass"] = [_run([py, "-c", "pass"], None, work)
                                             for _ in range(args.runs)]
        results["runs"]["import engine, cold cache"] = [_run(imp, fresh(), work)
                                                        for _ in range(args.runs)]
        cold_dirs = [fresh() for _ in range(args.runs)]
        results["runs"]["train 1 epoch, cold cache"] = [_run(train, d, work) for d in cold_dirs]
        warm = cold_dirs[-1]
        results["runs"]["import engine, warm cache"] = [_run(imp, warm, work)
                                                        for _ in range(args.runs)]
        results["runs"]["train 1 epoch, warm cache"] = [_run(train, warm, work)
                                                        for _ in range(args.runs)]
        n_files, n_bytes = _cache_size(warm)
        results["numba_cache"] = {"files": n_files, "bytes": n_bytes}
        results["slowest_imports"] = _import_profile(work, warm)
        _measure_app(results, args.runs, fresh, work)
        return _finish(results, args, work)
    finally:
        if args.keep:
            print(f"[startup] kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _measure_app(results: dict[str, Any], n: int, fresh, work: str) -> None:
    """The app's launches: the first (writing the Qt side's .pyc files), then n with a cold
    Numba cache each and n with the cache the last cold one filled."""
    print("[startup] the app ...", file=sys.stderr, flush=True)
    runs = results["runs"]
    runs["app: launch to first epoch, first launch"] = [_run_app(fresh(), work)]
    cold = [fresh() for _ in range(n)]
    runs["app: launch to first epoch, cold cache"] = [_run_app(d, work) for d in cold]
    runs["app: launch to first epoch, warm cache"] = [_run_app(cold[-1], work)
                                                      for _ in range(n)]


def _finish(results: dict[str, Any], args, work: str) -> int:
    print(report(results, args.runs))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    failed = [k for k, v in results["runs"].items() if any(r["returncode"] for r in v)]
    return 1 if failed else 0


def report(results: dict[str, Any], runs: int) -> str:
    out = ["playground start-up (wall clock per fresh process, seconds)",
           f"config: {results['config']}",
           f"engine: {results['source']}",
           f"bytecode: {results['bytecode']}",
           ""]
    runs = max(len(rs) for rs in results["runs"].values())
    head = ["measurement"] + [f"run {i + 1}" for i in range(runs)] + ["best", "median"]
    rows = []
    errors = []
    for name, rs in results["runs"].items():
        secs = [r["seconds"] for r in rs]
        cells = [name] + [f"{s:.2f}" + ("!" if r["returncode"] else "")
                          + ("~" if r.get("source_changed") else "")
                          for s, r in zip(secs, rs)] + ["-"] * (runs - len(rs))
        cells += [f"{min(secs):.2f}", f"{statistics.median(secs):.2f}"]
        rows.append(cells)
        errors += [f"{name}: exit {r['returncode']}: {r['stderr'].splitlines()[-1]}"
                   for r in rs if r["returncode"]]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out += [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows]
    out += ["",
            "train 1 epoch = python -m playground train CONFIG --epochs 1 --quiet (process start "
            "to exit)",
            "first run ever = the same with an empty Numba cache and no .pyc files yet",
            "app: launch to first epoch = `playground` (run_app) offscreen, Step epoch pressed "
            "once the window shows, until it reads Epoch 1",
            "first launch = the app's first, cold cache, its Qt side's .pyc files not yet "
            "written",
            "cold = a new empty NUMBA_CACHE_DIR per run; warm = the folder the last cold run "
            "filled"]
    if "numba_cache" in results:
        out += [f"Numba cache after one cold run: {results['numba_cache']['files']} files, "
                f"{results['numba_cache']['bytes'] / 1024:.0f} KiB"]
    apps = {k: v for k, v in results["runs"].items() if k.startswith("app:")}
    if apps:
        out += ["", "app: seconds from the launch (Step epoch pressed when the window showed; "
                "the engine that trained epoch 1):"]
        cols = [label for _, label in APP_PHASES] + ["step to epoch", "engine"]
        widths = [max(len(c), 6) for c in cols]
        out.append("  " + "run".ljust(44) + "  ".join(c.rjust(w) for c, w in zip(cols, widths)))
        for name, rs in apps.items():
            for i, r in enumerate(rs):
                ph = r.get("phases", {})
                cells = [f"{ph[k]:.2f}" if k in ph else "-" for k, _ in APP_PHASES]
                cells += [f"{ph.get('step to epoch', math.nan):.2f}", r.get("engine", "?")]
                label = f"{name.split(', ', 1)[1]} #{i + 1}"
                out.append("  " + label.ljust(44)
                           + "  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    if results.get("slowest_imports"):
        out += ["", "imports of `import playground.engine.trainer` taking >= 20 ms, 3 levels deep "
                "(python -X importtime,", "cumulative seconds; children listed before their "
                "parent, warm caches):"]
        out += [f"  {s:6.3f} s  {name}" for s, name in results["slowest_imports"]]
    if any(r.get("source_changed") for rs in results["runs"].values() for r in rs):
        out += ["", "~ = the playground sources changed just before or during this run (someone "
                "edited the checkout):", "    Numba recompiles edited modules, so a 'warm' "
                "run marked ~ is not warm; measure again on a quiet tree."]
    if errors:
        out += ["", "FAILED runs (marked !):"] + [f"  {e}" for e in errors]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
