"""``playground lesson list`` and ``playground lesson check [NAME...]`` (PRODUCT.md section 2).

``list`` names the bundled lessons. ``check`` trains every step's runs headless and checks
every claim (``playground.lessons``): one line per lesson on stdout, one line on stderr per
claim that does not hold, then a summary. Exit 0 when every claim holds, 1 when one does not,
2 (one line) for bad input: an unknown lesson name, a lesson file that does not validate. A
NAME may also be a lesson file of one's own (``*.json``), so that an author can check it.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from playground.cli import EXIT_FAILED, OneLineParser, UsageError


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="playground lesson",
                      description="The bundled lessons: list them, or check their claims by "
                                  "training their experiments headless.")
    sub = p.add_subparsers(dest="action", metavar="{list,check}", parser_class=OneLineParser)
    sub.required = True
    sub.add_parser("list", help="name the bundled lessons", prog="playground lesson list",
                   description="Name the bundled lessons, with their titles.")
    check = sub.add_parser("check", help="train each lesson's runs and check every claim",
                           prog="playground lesson check",
                           description="Train every step's runs headless and check every "
                                       "claim the lessons make; exit 0 when all hold, 1 when "
                                       "one does not.")
    check.add_argument("names", nargs="*", metavar="NAME",
                       help="a bundled lesson's name (default: every lesson), or a lesson "
                            "file (.json)")
    check.add_argument("--verbose", "-v", action="store_true",
                       help="print every claim with its measured value, not only the ones "
                            "that do not hold")
    return p


def lesson_command(argv: list[str]) -> int:
    # one line on stderr per problem: a stray library warning must not add lines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _lesson(argv)


def _lesson(argv: list[str]) -> int:
    try:
        opts = _parser().parse_args(argv)
    except SystemExit as exc:  # --help printed the help
        return exc.code if isinstance(exc.code, int) else 0
    from playground import lessons
    if opts.action == "list":
        for item in lessons.catalog():
            steps = len(item.steps)
            print(f"{item.id:<16} {item.title} ({steps} step{'s' if steps != 1 else ''}, "
                  f"{item.claim_count} claims)")
        return 0
    chosen = [_resolve(name) for name in opts.names] or list(lessons.catalog())
    return _check(chosen, opts.verbose)


def _resolve(name: str):
    """A bundled lesson by name, or a lesson file by path."""
    from playground import lessons
    if name == "":
        raise UsageError("NAME is an empty string; give a lesson's name (see "
                         "'playground lesson list')")
    if name.endswith(".json") or "/" in name or "\\" in name:
        return lessons.load(name)
    return lessons.lesson(name)


def _check(chosen, verbose: bool) -> int:
    from playground.lessons import check_lesson
    start = time.perf_counter()
    failed = total = 0
    for item in chosen:
        report = check_lesson(item)
        results = report.results
        bad = report.failures
        total += len(results)
        failed += len(bad)
        verdict = (f"all {len(results)} claims hold" if not bad else
                   f"{len(bad)} of {len(results)} claims do not hold")
        print(f"{'ok  ' if not bad else 'FAIL'} {item.id}: {verdict} ({report.seconds:.1f} s)",
              flush=True)
        if verbose:
            for step in report.steps:
                for r in step.results:
                    print(f"     step {step.step.index + 1}: {r.sentence}")
        for step, r in bad:
            print(f"playground: lesson {item.id}, step {step.index + 1} ({step.title}): "
                  f"{r.sentence}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start
    n = len(chosen)
    lessons_text = f"{n} lesson{'s' if n != 1 else ''}"
    if failed:
        print(f"{lessons_text}, {total} claims: {failed} do not hold ({seconds:.1f} s)")
        return EXIT_FAILED
    print(f"{lessons_text}, {total} claims: all hold ({seconds:.1f} s)")
    return 0
