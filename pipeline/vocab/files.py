"""Writing a file so that nobody ever reads half of it: a temporary name beside the
target, renamed into place when complete."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_read_umask()  # read once, at import: os.umask is process-wide


@contextmanager
def atomic_path(target: Path):
    """A temporary path in the target's folder, renamed onto the target on success.

    The file gets the permissions a plain `open()` would give it (mkstemp's are 0600:
    colleagues sharing the output folder could not read it) and is flushed to disk
    before the rename.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, FILE_MODE)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
