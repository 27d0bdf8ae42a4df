"""Start-up cost: from a shell command to the first trained epoch, cold and warm Numba cache.

    python bench/startup.py                  workload B's config, 3 runs of each
    python bench/startup.py --config playground/examples/iris-notebook.json
    python bench/startup.py --json out.json

Each measurement is a fresh subprocess timed with time.perf_counter around subprocess.run
(wall clock, interpreter start and exit included):
  python -c pass                          the interpreter alone (the floor)
  import playground.engine.trainer        importing the engine, cold and warm Numba cache
  playground train CONFIG --epochs 1      `python -m playground train CONFIG --epochs 1 --quiet`:
                                          load data, build, compile or load kernels, one epoch
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
    finally:
        if args.keep:
            print(f"[startup] kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

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
            "cold = a new empty NUMBA_CACHE_DIR per run; warm = the folder the last cold run "
            "filled",
            f"Numba cache after one cold run: {results['numba_cache']['files']} files, "
            f"{results['numba_cache']['bytes'] / 1024:.0f} KiB"]
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
