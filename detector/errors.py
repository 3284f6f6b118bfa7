"""User-facing errors: each carries one line that the command-line tool prints as is."""


class DetectorError(Exception):
    """An error the user can act on; the CLI prints str(err) and exits with `exit_code`."""

    exit_code = 1


class ConfigError(DetectorError):
    """A configuration file or override is malformed."""

    exit_code = 2


class ScenarioError(DetectorError):
    """A scenario file breaks the scenario format."""

    exit_code = 2

    def __init__(self, file: str, key: str, expected: str) -> None:
        self.file, self.key, self.expected = file, key, expected
        super().__init__(f"{file}: {key}: {expected}")


class RecordingError(DetectorError):
    """A recorded session directory is malformed or incomplete."""

    exit_code = 2


class LogbookError(DetectorError):
    """An inspection record or evidence file cannot be stored or read (disk full, damaged
    database, unwritable directory)."""


class MissingLibraryError(DetectorError):
    """A Pi-only library is not installed; the message says how to install it."""

    exit_code = 3


def require(module: str, hint: str):
    """Import a Pi-only module lazily, turning ImportError into a one-line install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingLibraryError(f"{module} is not installed: {hint}") from exc
