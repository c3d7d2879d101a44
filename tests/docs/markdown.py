"""The examples of one Markdown document, in order (the convention is in docs/README.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<info>[^`]*)$")
AS_COMMENT = re.compile(r"<!--\s*as:\s*(?P<spec>[^>]*?)\s*-->")


@dataclass
class Block:
    """One fenced block: its info string, text and lines (1-based, the fences included)."""

    info: str
    text: str
    start: int  # line of the opening fence
    end: int  # line of the closing fence
    indent: str = ""

    @property
    def language(self) -> str:
        return self.info.split()[0].lower() if self.info.split() else ""

    @property
    def label(self) -> str:
        words = self.info.split()
        return words[1].lower() if len(words) > 1 else ""


@dataclass
class Example:
    """A ```graphql block, the caller it runs as, its variables and its documented response."""

    path: Path
    operation: Block
    caller: str
    variables: Block | None = None
    response: Block | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.operation.start}"

    @property
    def is_subscription(self) -> bool:
        text = re.sub(r"#[^\n]*", "", self.operation.text).lstrip()
        return text.startswith("subscription")


def blocks(text: str) -> list[tuple[Block, str]]:
    """Every fenced block with the text between it and the previous block."""
    lines = text.split("\n")
    found: list[tuple[Block, str]] = []
    between: list[str] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            between.append(lines[i])
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        body = []
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence) and lines[j].strip().strip("`") == ""
        ):
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        found.append(
            (
                Block(match["info"].strip(), "\n".join(body), i + 1, j + 1, indent),
                "\n".join(between),
            )
        )
        between = []
        i = j + 1
    return found


def _is_response(block: Block) -> bool:
    if block.label in ("response", "variables"):
        return block.label == "response"
    try:
        value = json.loads(block.text)
    except ValueError:
        return False
    return (
        isinstance(value, dict) and bool(value) and set(value) <= {"data", "errors", "extensions"}
    )


def examples(path: Path, default_caller: str) -> list[Example]:
    """The examples of a document in order; the caller is the last `<!-- as: … -->` before each."""
    found: list[Example] = []
    caller = default_caller
    current: Example | None = None
    for block, before in blocks(path.read_text()):
        comments = AS_COMMENT.findall(before)
        if comments:
            caller = comments[-1]
        follows = current is not None and before.strip() == ""
        if block.language == "graphql":
            current = Example(path, block, caller)
            found.append(current)
            continue
        if follows and block.language == "json":
            if _is_response(block):
                if current.response is None:
                    current.response = block
                    continue
            elif current.variables is None and current.response is None:
                current.variables = block
                continue
        current = None
    return found
