"""npm packages the tests run (JavaScript clients, linters), installed on first use into a
git-ignored folder under .data/ and reused by later runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.conf import settings


def npm_install(folder_name: str, packages: list[str]) -> Path:
    """The folder .data/<folder_name> with `packages` (pinned `name@version`) installed."""
    folder = Path(settings.BASE_DIR) / ".data" / folder_name
    installed = all(
        (folder / "node_modules" / package.rsplit("@", 1)[0]).exists() for package in packages
    )
    if not installed:
        folder.mkdir(parents=True, exist_ok=True)
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
