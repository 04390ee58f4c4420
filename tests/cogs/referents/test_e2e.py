"""/referent through the emulated Discord: permissions, roles, drift, departures, 403."""

import pytest

from bot.harness import BotHarness
from tests.issue5_harness import (
    MANAGE_ROLES,
    active_referents,
    channel_texts,
    role_names,
    settle,
    structure_id,
    take_bot_permission,
)


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("membre", False), ("referente-beutre", False), ("referent", False), ("coordinateur", True)],
)
async def test_designer_permission_matrix(harness: BotHarness, person: str, allowed: bool) -> None:
    mediatheque = await structure_id(harness, "Médiathèque")
    before = await active_referents(harness)
    result = await harness.slash(
        person, "referent designer", options={"membre": "conseiller", "structure": mediatheque}
    )
    assert result.ephemeral
    if allowed:
        assert "désormais référent·e titulaire de **Médiathèque**" in result.text
        assert (harness.person("conseiller"), mediatheque, "titular") in await active_referents(
            harness
        )
        await settle(harness)
        assert {"Référent·e", "Réf. Médiathèque"} <= role_names(harness, "conseiller")
    else:
        assert "réservée aux coordinateurs" in result.text
        assert await active_referents(harness) == before
        assert "Référent·e" not in role_names(harness, "conseiller")


@pytest.mark.parametrize(
    ("person", "allowed"),
    [
        ("nouveau", False),
        ("membre", True),
        ("referente-beutre", True),
        ("referent", True),
        ("coordinateur", True),
    ],
)
async def test_liste_permission_matrix(harness: BotHarness, person: str, allowed: bool) -> None:
    result = await harness.slash(person, "referent liste")
    if allowed:
        assert "Référents des structures (2/" in result.text
        assert "Structures sans référent" in result.text
        assert "**CCAS** — <@" in result.text
    else:
        assert "réservée aux membres validés" in result.text


@pytest.mark.parametrize("person", ["membre", "referente-beutre", "referent"])
async def test_retirer_and_suppleant_refused_to_non_coordinators(
    harness: BotHarness, person: str
) -> None:
    ccas = await structure_id(harness, "CCAS")
    before = await active_referents(harness)
    for command in ("referent retirer", "referent suppleant"):
        result = await harness.slash(
            person, command, options={"membre": "referent", "structure": ccas}
        )
        assert "réservée aux coordinateurs" in result.text
    assert (await harness.slash(person, "referent synchroniser")).text.startswith(
        "Cette action est réservée"
    )
    assert await active_referents(harness) == before


async def test_full_structure_deputy_and_removal(harness: BotHarness) -> None:
    ccas = await structure_id(harness, "CCAS")
    refused = await harness.slash(
        "coordinateur", "referent designer", options={"membre": "conseiller", "structure": ccas}
    )
    assert "CCAS a déjà 1 référent·e(s) titulaire(s)" in refused.text
    deputy = await harness.slash(
        "coordinateur", "referent suppleant", options={"membre": "conseiller", "structure": ccas}
    )
    assert "suppléant·e pour **CCAS**" in deputy.text
    await settle(harness)
    assert {"Référent·e", "Réf. CCAS"} <= role_names(harness, "conseiller")
    removed = await harness.slash(
        "coordinateur", "referent retirer", options={"membre": "conseiller", "structure": ccas}
    )
    assert "n'est plus référent·e de **CCAS**" in removed.text
    assert "n'a plus aucun" not in removed.text  # the titular is still there
    await settle(harness)
    assert not {"Référent·e", "Réf. CCAS"} & role_names(harness, "conseiller")


async def test_autocomplete_finds_structures_without_accents(harness: BotHarness) -> None:
    choices = await harness.emu.autocomplete(
        harness.guild_id,
        harness.person("coordinateur"),
        "referent designer",
        "structure",
        "mediatheque",
        options={"membre": "conseiller"},
    )
    assert choices and choices[0]["name"].startswith("Médiathèque")


async def test_referent_leaving_is_unassigned_and_coordinators_told(harness: BotHarness) -> None:
    ccas = await structure_id(harness, "CCAS")
    await harness.emu.member_leave(harness.guild_id, harness.person("referent"))
    await settle(harness)
    assert not any(r[0] == harness.person("referent") for r in await active_referents(harness))
    assert any(
        "**CCAS** n'a plus aucun·e référent·e" in text
        for text in channel_texts(harness, "coordination")
    )
    listing = await harness.slash("membre", "referent liste")
    assert "• CCAS" in listing.text
    assert ccas


async def test_deleted_structure_role_is_recreated(harness: BotHarness) -> None:
    guild = harness.emu.guild(harness.guild_id)
    assert "Réf. CCAS" in role_names(harness, "referent")
    old = next(r for r in guild.roles.values() if r.name == "Réf. CCAS")
    await harness.emu.delete_role(harness.guild_id, old.id)
    await settle(harness)
    recreated = [r for r in guild.roles.values() if r.name == "Réf. CCAS"]
    assert recreated and recreated[0].id != old.id
    assert "Réf. CCAS" in role_names(harness, "referent")


async def test_hand_given_role_is_revoked_and_reported(harness: BotHarness) -> None:
    guild = harness.emu.guild(harness.guild_id)
    membre = guild.members[harness.person("membre")]
    referent_role = guild.role("Référent·e")
    await harness.emu.update_member(
        harness.guild_id, membre.id, roles=[*membre.roles, referent_role.id]
    )
    await settle(harness)
    result = await harness.slash("coordinateur", "referent synchroniser")
    assert "retiré(s) à des membres qui ne sont pas référents" in result.text
    await settle(harness)
    assert "Référent·e" not in role_names(harness, "membre")
    audit = await harness.slash("coordinateur", "audit", options={"action": "referent.role_drift"})
    assert "referent.role_drift" in audit.text


async def test_missing_manage_roles_gives_precise_message_and_changes_nothing(
    harness: BotHarness,
) -> None:
    await take_bot_permission(harness, MANAGE_ROLES)
    mediatheque = await structure_id(harness, "Médiathèque")
    before = await active_referents(harness)
    result = await harness.slash(
        "coordinateur",
        "referent designer",
        options={"membre": "conseiller", "structure": mediatheque},
    )
    assert "permission « Gérer les rôles »" in result.text
    assert "« Aiguillage »" in result.text
    assert await active_referents(harness) == before
    assert harness.bot is not None and harness.bot.errors_seen == 0


async def test_discord_403_on_role_change_is_reported_not_crashed(harness: BotHarness) -> None:
    mediatheque = await structure_id(harness, "Médiathèque")
    harness.emu.inject("PUT", r"/guilds/\d+/members/\d+/roles/\d+", status=403, times=-1)
    result = await harness.slash(
        "coordinateur",
        "referent designer",
        options={"membre": "conseiller", "structure": mediatheque},
    )
    harness.emu.clear_faults()
    assert "désormais référent·e titulaire" in result.text
    assert "Je ne peux pas attribuer le rôle" in result.text and "faites glisser" in result.text
    assert "remis en ordre automatiquement" in result.text
    # The database is the truth: the next reconciliation repairs the roles.
    sync = await harness.slash("coordinateur", "referent synchroniser")
    assert "rendu(s)" in sync.text
    await settle(harness)
    assert "Réf. Médiathèque" in role_names(harness, "conseiller")
