from cogs.referents.reconcile import (
    StructureRoleState,
    plan_reconciliation,
    structure_role_name,
)

GLOBAL = 900


def _state(structure_id: int, role_id: int | None, *referents: int) -> StructureRoleState:
    return StructureRoleState(structure_id, f"S{structure_id}", role_id, frozenset(referents))


def test_in_sync_gives_empty_plan() -> None:
    plan = plan_reconciliation(
        structures=[_state(1, 101, 11)],
        global_role_id=GLOBAL,
        guild_role_ids={101, GLOBAL},
        member_roles={11: {101, GLOBAL}, 12: set()},
    )
    assert plan.is_empty


def test_missing_roles_granted_and_unmandated_holders_revoked() -> None:
    plan = plan_reconciliation(
        structures=[_state(1, 101, 11), _state(2, 102)],
        global_role_id=GLOBAL,
        guild_role_ids={101, 102, GLOBAL, 555},
        # 11 lacks both roles; 12 was given roles by hand in Discord; 555 is not managed.
        member_roles={11: set(), 12: {102, GLOBAL, 555}},
    )
    assert plan.grants == [(11, 101), (11, GLOBAL)]
    assert plan.revokes == [(12, 102), (12, GLOBAL)]
    assert not plan.roles_to_create and not plan.departed


def test_deleted_or_never_created_structure_roles_are_planned() -> None:
    plan = plan_reconciliation(
        structures=[_state(1, None, 11), _state(2, 102, 12)],
        global_role_id=None,
        guild_role_ids=set(),
        member_roles={11: set(), 12: set()},
    )
    assert plan.roles_to_create == [1, 2]
    assert plan.grants == []  # granted on the second pass, once the roles exist


def test_departed_referents_and_missing_global_role_reported() -> None:
    plan = plan_reconciliation(
        structures=[_state(1, 101, 11, 13)],
        global_role_id=GLOBAL,
        guild_role_ids={101},
        member_roles={11: {101}},
    )
    assert plan.departed == [13]
    assert plan.global_role_missing


def test_role_name_pattern() -> None:
    assert structure_role_name("Réf. {structure}", "CCAS de Mérignac") == "Réf. CCAS de Mérignac"
    assert structure_role_name("{nope}", "CCAS") == "Réf. CCAS"
    assert len(structure_role_name("{structure}", "x" * 300)) == 100
