"""LibreOffice (and poppler) in tests: files converted the way a person's office suite
writes them. Skipped where a tool is not installed; in CI (CI=true, where .ci/run
installs libreoffice-calc-nogui and poppler-utils) a missing tool fails the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"not installed in CI: {', '.join(missing)} (.ci/run should have installed it)")
    pytest.skip(f"not installed: {', '.join(missing)}")


def convert(path: Path, kind: str, outdir: Path) -> Path:
    """`soffice --headless --convert-to kind` into outdir; the converted file. Each call
    has its own LibreOffice profile, so that parallel runs do not share a lock."""
    require("soffice")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        done = subprocess.run(
            ["soffice", "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", kind,
             "--outdir", str(outdir), str(path)],
            capture_output=True, text=True, timeout=180,
        )
    out = outdir / f"{path.stem}.{kind.split(':')[0]}"
    assert done.returncode == 0 and out.exists(), f"soffice --convert-to {kind} failed: {done.stdout}{done.stderr}"
    return out
