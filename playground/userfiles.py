"""Reading a file the user named: every failure becomes one line naming the file."""

from __future__ import annotations

from pathlib import Path

from playground.errors import PlaygroundError


def check_file(path: Path, what: str, error: type[PlaygroundError]) -> None:
    """``error`` with one line unless ``path`` names an existing regular file; ``what`` names
    it in messages ("weights file", "workspace file")."""
    try:
        exists, is_dir, is_file = path.exists(), path.is_dir(), path.is_file()
    except (OSError, ValueError):  # a NUL byte or an over-long name
        raise error(f"{str(path)!r} is not a valid {what} name") from None
    if not exists:
        raise error(f"{what} {path} not found")
    if is_dir:
        raise error(f"{path} is a folder, not a {what}")
    if not is_file:
        raise error(f"{what} {path} is not a regular file (a device, pipe or socket)")


def read_text(path: str | Path, what: str, error: type[PlaygroundError]) -> str:
    """The file's text (UTF-8, a leading BOM dropped); ``what`` names it in messages
    ("config file", "CSV file") and ``error`` is the exception raised."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} path is a folder, not a file: {path}") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not UTF-8 text: {path} (bad byte at offset "
                    f"{exc.start})") from None
