"""npm packages the tests run (JavaScript clients, linters), installed on first use into a
git-ignored folder under .data/ and reused by later runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import fasteners
from django.conf import settings


def npm_install(folder_name: str, packages: list[str]) -> Path:
    """The folder .data/<folder_name> with `packages` (pinned `name@version`) installed.

    Test processes running side by side (xdist workers, the two passes of `make test`) wait
    for each other on a lock file, so one installs and the others reuse its folder."""
    folder = Path(settings.BASE_DIR) / ".data" / folder_name
    folder.parent.mkdir(parents=True, exist_ok=True)
    with fasteners.InterProcessLock(str(folder.with_name(f"{folder_name}.lock"))):
        installed = all(
            (folder / "node_modules" / package.rsplit("@", 1)[0]).exists() for package in packages
        )
        if not installed:
            folder.mkdir(exist_ok=True)
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--silent",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(folder),
                    *packages,
                ],
                check=True,
                timeout=180,
            )
    return folder


def write_file(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a process running the file at the same
    time sees the old or the new text, never a half-written one."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
