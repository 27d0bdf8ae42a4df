"""Errors a user can fix. Each carries a one-line message that names the problem."""


class PlaygroundError(Exception):
    """Bad input: the CLI prints the message on one line and exits 2; the app shows it."""


class ConfigError(PlaygroundError):
    """A run config that does not follow PRODUCT.md; the message names the key path."""


class DataError(PlaygroundError):
    """A data source that cannot be loaded (bad CSV, unknown target, a single class...)."""


class WeightsError(PlaygroundError):
    """A weights file that cannot be read, or whose keys or shapes do not match the model."""


class WorkspaceError(PlaygroundError):
    """A workspace file (``.playground``) that cannot be written, read or resumed; the message
    names the file and, for a bad archive, the member at fault."""
