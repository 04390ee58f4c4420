"""What /aide lists: the commands a person may use, from the tree and their access tags."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.permissions import ACCESS_RANK, required_access


@dataclass(frozen=True)
class HelpEntry:
    path: str  # "doc chercher"
    description: str
    access: str


def walk_commands(commands: Iterable[Any], parent_access: str | None = None) -> list[HelpEntry]:
    """Flatten groups into leaf commands, inheriting a group's access tag."""
    entries: list[HelpEntry] = []
    for command in commands:
        access = required_access(command)
        if parent_access and ACCESS_RANK.get(parent_access, 1) > ACCESS_RANK.get(access, 1):
            access = parent_access
        children = getattr(command, "commands", None)
        if children:
            group_access = required_access(command) if "access" in command.extras else parent_access
            entries += walk_commands(children, group_access)
        else:
            entries.append(HelpEntry(command.qualified_name, command.description, access))
    return sorted(entries, key=lambda e: e.path)


def visible_for(entries: Iterable[HelpEntry], level: str) -> list[HelpEntry]:
    rank = ACCESS_RANK[level]
    return [e for e in entries if ACCESS_RANK.get(e.access, 1) <= rank]
