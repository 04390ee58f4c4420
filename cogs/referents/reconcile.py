"""Compare what the database says (referents) with what Discord shows (roles) and plan
the repairs. Pure: the cog gathers both sides, applies the plan and reports it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DISCORD_ROLE_NAME_MAX = 100
DEFAULT_ROLE_PATTERN = "Réf. {structure}"


def structure_role_name(pattern: str, structure_name: str) -> str:
    """The managed role's name for a structure, within Discord's 100 characters."""
    try:
        name = pattern.format(structure=structure_name)
    except (KeyError, IndexError, ValueError):
        # A pattern with unknown placeholders must not block reconciliation.
        name = DEFAULT_ROLE_PATTERN.format(structure=structure_name)
    name = name.strip() or structure_name
    return name[:DISCORD_ROLE_NAME_MAX]


@dataclass(frozen=True)
class StructureRoleState:
    structure_id: int
    name: str
    role_id: int | None
    referent_ids: frozenset[int]


@dataclass
class ReconcilePlan:
    # Structures whose managed role is missing (never created, or deleted in Discord).
    roles_to_create: list[int] = field(default_factory=list)
    grants: list[tuple[int, int]] = field(default_factory=list)  # (user_id, role_id)
    revokes: list[tuple[int, int]] = field(default_factory=list)  # (user_id, role_id)
    # Referents recorded in the database who are no longer on the server.
    departed: list[int] = field(default_factory=list)
    # The configured global "Référent·e" role does not exist in the guild.
    global_role_missing: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.roles_to_create
            or self.grants
            or self.revokes
            or self.departed
            or self.global_role_missing
        )


def plan_reconciliation(
    *,
    structures: Iterable[StructureRoleState],
    global_role_id: int | None,
    guild_role_ids: set[int],
    member_roles: Mapping[int, set[int]],
) -> ReconcilePlan:
    """Everything needed so that Discord matches the database.

    ``member_roles`` holds every member present on the server (user id → role ids).
    A member holding a managed role without a mandate loses it (the database is the
    truth); the plan lists it so coordinators are told, never silently.
    """
    plan = ReconcilePlan()
    structures = list(structures)
    expected: dict[int, set[int]] = {}  # user → managed roles they should hold
    managed: set[int] = set()
    all_referents: set[int] = set()

    for state in structures:
        all_referents |= state.referent_ids
        role_id = state.role_id
        if role_id is None or role_id not in guild_role_ids:
            plan.roles_to_create.append(state.structure_id)
            continue
        managed.add(role_id)
        for user_id in state.referent_ids:
            expected.setdefault(user_id, set()).add(role_id)

    if global_role_id is not None:
        if global_role_id in guild_role_ids:
            managed.add(global_role_id)
            for user_id in all_referents:
                expected.setdefault(user_id, set()).add(global_role_id)
        else:
            plan.global_role_missing = True

    plan.departed = sorted(user_id for user_id in all_referents if user_id not in member_roles)

    for user_id in sorted(member_roles):
        held = member_roles[user_id] & managed
        wanted = expected.get(user_id, set())
        plan.grants.extend((user_id, role_id) for role_id in sorted(wanted - held))
        plan.revokes.extend((user_id, role_id) for role_id in sorted(held - wanted))
    plan.roles_to_create.sort()
    return plan
