"""GraphiQL's vendored builds: the pinned npm packages, the files taken from each and the
SHA-256 sum of each file as committed under config/static/graphiql/ (all MIT-licensed).

`python -m config.graphiql_assets` (`make graphiql-assets`) refetches them with `npm pack`,
checks each tarball against npm's recorded integrity and each file against its sum, and only
then writes them; `--check` checks the committed files alone, offline. The trailing
`sourceMappingURL` comment is cut from each file: the maps are not vendored, and
`collectstatic` refuses a reference to a missing file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = "graphiql"
# `//# sourceMappingURL=…` (JavaScript) or `/*# sourceMappingURL=… */` (CSS) on the last line.
SOURCE_MAP_COMMENT = re.compile(
    rb"\n?(//# sourceMappingURL=[^\n]*|/\*# sourceMappingURL=[^\n]*\*/)\s*\Z"
)


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's sha512 of the tarball (`npm view NAME@VERSION dist.integrity`)
    files: dict[str, str]  # path in the tarball (without "package/") -> SHA-256 as committed

    @property
    def directory(self) -> str:
        """Its folder under static/: `graphiql/react-18.2.0`."""
        return f"{VENDOR_DIR}/{self.name.rsplit('/', 1)[-1]}-{self.version}"

    def static_path(self, file: str) -> str:
        """A file's path for `{% static %}`: `graphiql/react-18.2.0/react.production.min.js`."""
        if file not in self.files:
            raise KeyError(f"{file} is not vendored from {self.name}")
        return f"{self.directory}/{Path(file).name}"


# The versions strawberry-graphql's own GraphiQL page loads from a CDN (the upstream files'
# sha384 equal that page's `integrity` attributes).
REACT = Package(
    "react",
    "18.2.0",
    "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
    {
        "umd/react.production.min.js": (
            "4b4969fa4ef3594324da2c6d78ce8766fbbc2fd121fff395aedf997db0a99a06"
        ),
        "LICENSE": "52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85",
    },
)
REACT_DOM = Package(
    "react-dom",
    "18.2.0",
    "sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
    {
        "umd/react-dom.production.min.js": (
            "21758ed084cd0e37e735722ee4f3957ea960628a29dfa6c3ce1a1d47a2d6e4f7"
        ),
        "LICENSE": "52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85",
    },
)
GRAPHIQL = Package(
    "graphiql",
    "3.8.3",
    "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
    {
        "graphiql.min.js": "47d696155a87281978a11e1c5ead4b82943836ddd013cbd216975109055a826d",
        "graphiql.min.css": "c41c291baa1c9c5b73e0345e78521aa24bfdf7b41ab840c99e2891ad720de9e4",
        "LICENSE": "4b18fbe55c4e8f9169cb702be138f4d858a2dad920c39857204ffdc9c1c9fdc4",
    },
)
EXPLORER = Package(
    "@graphiql/plugin-explorer",
    "1.0.2",
    "sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q==",
    {
        "dist/index.umd.js": "083e37e501d3e3920a60e627b82191af056009124dce82a332e8ac74db6ca38b",
        "dist/style.css": "762850cb69873400d0ab1737c6158aee91f5c38195bc4a30ee02a3c5d5af4e01",
        "package.json": (
            "430f57e06835b477a33d9ba55cda7d005c5019b8b8ff9817762ac8b4842d8efa"
        ),  # its license (MIT); the tarball has no LICENSE file
    },
)
PACKAGES = (REACT, REACT_DOM, GRAPHIQL, EXPLORER)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def as_committed(content: bytes) -> bytes:
    return SOURCE_MAP_COMMENT.sub(b"\n", content, count=1)


def check_committed(static_dir: Path = STATIC_DIR) -> list[str]:
    """What differs between the files under static/graphiql/ and the recorded sums."""
    problems = []
    for package in PACKAGES:
        folder = static_dir / package.directory
        expected = {Path(file).name: digest for file, digest in package.files.items()}
        present = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        problems += [f"{package.directory}/{name}: missing" for name in expected.keys() - present]
        problems += [
            f"{package.directory}/{name}: not recorded" for name in present - expected.keys()
        ]
        for name in sorted(expected.keys() & present):
            actual = sha256((folder / name).read_bytes())
            if actual != expected[name]:
                problems.append(
                    f"{package.directory}/{name}: sha256 {actual}, recorded {expected[name]}"
                )
    return problems


def npm_pack(package: Package, destination: Path) -> Path:
    spec = f"{package.name}@{package.version}"
    result = subprocess.run(  # noqa: S603 - fixed arguments; npm from PATH
        ["npm", "pack", spec, "--json", "--pack-destination", str(destination)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed: {result.stderr.strip()[-500:]}")
    (packed,) = json.loads(result.stdout)
    if packed["integrity"] != package.integrity:
        raise SystemExit(
            f"{spec}: tarball integrity {packed['integrity']}, recorded {package.integrity}"
        )
    return destination / packed["filename"]


def fetch() -> list[str]:
    """Fetch every package and write its files when every sum matches; the mismatches otherwise."""
    files: dict[Path, bytes] = {}
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            with tarfile.open(npm_pack(package, Path(tmp))) as tar:
                for file, recorded in package.files.items():
                    member = tar.extractfile(f"package/{file}")
                    content = as_committed(member.read())
                    if sha256(content) != recorded:
                        problems.append(
                            f"{package.name}@{package.version} {file}: "
                            f"sha256 {sha256(content)}, recorded {recorded}"
                        )
                    files[STATIC_DIR / package.static_path(file)] = content
    if problems:
        return problems
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config.graphiql_assets",
        description="Refetch GraphiQL's vendored builds from npm and check their SHA-256 sums.",
    )
    parser.add_argument(
        "--check", action="store_true", help="only check the committed files (offline)"
    )
    args = parser.parse_args(argv)
    problems = check_committed() if args.check else fetch()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{sum(len(p.files) for p in PACKAGES)} files match their recorded SHA-256 sums")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
