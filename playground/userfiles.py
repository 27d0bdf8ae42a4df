"""Reading a file the user named: every failure becomes one line naming the file."""

from __future__ import annotations

from pathlib import Path

from playground.errors import PlaygroundError


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
