"""Onboarding through the emulated Discord: welcome, structure search, charter, decisions."""

import pytest
from sqlalchemy import select

from bot.harness import BotHarness
from db.models.charter import CharterAcceptance
from db.models.onboarding import OnboardingRequest
from tests.issue5_harness import (
    MANAGE_ROLES,
    channel_texts,
    move_role_above_bot,
    settle,
    startup_done,
    structure_id,
    take_bot_permission,
)


async def _join_and_request(
    harness: BotHarness, name: str = "nouvelle", query: str = "mediatheque"
) -> int:
    """A person joins, clicks the welcome button, searches, picks, accepts: their id."""
    emu, guild_id = harness.emu, harness.guild_id
    newcomer = await emu.member_join(guild_id, name, global_name="Nina (médiathèque)")
    await settle(harness)
    welcome = emu.last_message(harness.channel("accueil"))
    assert welcome is not None and f"<@{newcomer.id}>" in welcome["content"]
    assert (
        welcome["allowed_mentions"]["users"] == [str(newcomer.id)]
        if "allowed_mentions" in welcome
        else True
    )
    opened = await emu.click(guild_id, newcomer.id, welcome, label="Commencer mon inscription")
    assert opened.modal is not None
    matches = await emu.submit_modal(guild_id, newcomer.id, fields={"query": query})
    assert "structure(s) trouvée(s)" in matches.text
    charter = await emu.select(guild_id, newcomer.id, matches.message, values=["Médiathèque"])
    button = next(b for b in charter.buttons() if b["custom_id"].startswith("onboarding:request:"))
    sent = await emu.click(guild_id, newcomer.id, charter.message, custom_id=button["custom_id"])
    assert "Demande envoyée pour **Médiathèque**" in sent.text
    await settle(harness)
    return newcomer.id


def _review_message(harness: BotHarness, user_id: int) -> dict:
    for message in reversed(harness.emu.messages(harness.channel("coordination"))):
        if any(f"<@{user_id}>" in (e.get("description") or "") for e in message.get("embeds", [])):
            return message
    raise AssertionError("no review message for this user")


def _has_role(harness: BotHarness, user_id: int, name: str) -> bool:
    guild = harness.emu.guild(harness.guild_id)
    return guild.role(name).id in guild.members[user_id].roles


async def _request_status(harness: BotHarness, user_id: int) -> str:
    assert harness.bot is not None
    async with harness.bot.db.session() as session:
        rows = list(
            await session.scalars(
                select(OnboardingRequest).where(OnboardingRequest.user_id == user_id)
            )
        )
    return rows[-1].status


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("membre", False), ("referente-beutre", False), ("coordinateur", True)],
)
async def test_approval_permission_matrix(harness: BotHarness, person: str, allowed: bool) -> None:
    newcomer = await _join_and_request(harness)
    review = _review_message(harness, newcomer)
    result = await harness.emu.click(
        harness.guild_id, harness.person(person), review, label="Valider"
    )
    await settle(harness)
    if allowed:
        assert "validée" in result.text
        assert await _request_status(harness, newcomer) == "approved"
        assert _has_role(harness, newcomer, "Membre du réseau")
        dm = harness.emu.dm_messages(newcomer)
        assert dm and "inscription au réseau est validée pour Médiathèque" in dm[-1]["content"]
    else:
        assert "Seuls les coordinateurs et le référent" in result.text
        assert await _request_status(harness, newcomer) == "pending"
        assert not _has_role(harness, newcomer, "Membre du réseau")


async def test_structure_referent_approves_after_a_restart(harness: BotHarness) -> None:
    mediatheque_referent = harness.person("conseiller")

    designated = await harness.slash(
        "coordinateur",
        "referent designer",
        options={"membre": "conseiller", "structure": await structure_id(harness, "Médiathèque")},
    )
    assert "désormais" in designated.text
    newcomer = await _join_and_request(harness)
    review = _review_message(harness, newcomer)
    assert f"<@{mediatheque_referent}>" in review["content"]  # the structure's referent is pinged
    await harness.restart()
    await startup_done(harness)
    result = await harness.emu.click(
        harness.guild_id, mediatheque_referent, review, label="Valider"
    )
    await settle(harness)
    assert "validée" in result.text, result
    assert _has_role(harness, newcomer, "Membre du réseau")
    updated = harness.emu.get_message(int(review["id"]))
    assert "validée" in str(updated["embeds"])
    assert all(b.get("disabled") for row in updated["components"] for b in row["components"])


async def test_refusal_needs_reason_and_is_sent(harness: BotHarness) -> None:
    newcomer = await _join_and_request(harness)
    review = _review_message(harness, newcomer)
    coordinator = harness.person("coordinateur")
    stale_list = await harness.slash("coordinateur", "inscriptions")
    request_id = int(review["embeds"][0]["footer"]["text"].lstrip("#"))
    opened = await harness.emu.click(harness.guild_id, coordinator, review, label="Refuser")
    assert opened.modal is not None
    refused = await harness.emu.submit_modal(
        harness.guild_id, coordinator, fields={"reason": "Structure hors du territoire du réseau"}
    )
    await settle(harness)
    assert "refusée" in refused.text
    assert await _request_status(harness, newcomer) == "refused"
    assert "hors du territoire" in harness.emu.dm_messages(newcomer)[-1]["content"]
    assert not _has_role(harness, newcomer, "Membre du réseau")
    late = await harness.emu.click(
        harness.guild_id, coordinator, stale_list.message, label=f"Valider #{request_id}"
    )
    assert "déjà été traitée" in late.text


async def test_charter_acceptance_recorded_with_request(harness: BotHarness) -> None:
    published = await harness.slash(
        "coordinateur",
        "charte publier",
        options={"version": "v-test", "resume": "Première version"},
        attachments={"fichier": ("charte.md", b"# Charte\n\nArticle 1 : le secret professionnel.")},
    )
    assert "publiée" in published.text
    newcomer = await _join_and_request(harness, "nouvelle2")
    assert harness.bot is not None
    async with harness.bot.db.session() as session:
        accepted = list(
            await session.scalars(
                select(CharterAcceptance).where(CharterAcceptance.user_id == newcomer)
            )
        )
    assert len(accepted) == 1
    review = _review_message(harness, newcomer)
    assert "acceptée (version v-test)" in str(review["embeds"])
    await harness.emu.click(
        harness.guild_id, harness.person("coordinateur"), review, label="Valider"
    )
    await settle(harness)
    assert _has_role(harness, newcomer, "Charte acceptée")


async def test_missing_manage_roles_keeps_request_pending(harness: BotHarness) -> None:
    newcomer = await _join_and_request(harness)
    await take_bot_permission(harness, MANAGE_ROLES)
    review = _review_message(harness, newcomer)
    result = await harness.emu.click(
        harness.guild_id, harness.person("coordinateur"), review, label="Valider"
    )
    assert "permission « Gérer les rôles »" in result.text and "reste en attente" in result.text
    assert await _request_status(harness, newcomer) == "pending"


async def test_pending_list_and_departure(harness: BotHarness) -> None:
    newcomer = await _join_and_request(harness)
    listed = await harness.slash("coordinateur", "inscriptions")
    assert "1 demande(s)" in listed.text
    assert "réservée aux référents" in (await harness.slash("membre", "inscriptions")).text
    other = await harness.slash("referente-beutre", "inscriptions")
    assert "Aucune demande" in other.text  # not her structure
    await harness.emu.member_leave(harness.guild_id, newcomer)
    await settle(harness)
    assert await _request_status(harness, newcomer) == "cancelled"
    assert any("annulée" in text for text in channel_texts(harness, "coordination"))


async def test_no_match_and_already_member(harness: BotHarness) -> None:
    result = await harness.emu.autocomplete(
        harness.guild_id, harness.person("nouveau"), "inscription", "structure", "ccas"
    )
    assert result and result[0]["name"].startswith("CCAS")
    member = await harness.slash("membre", "inscription", options={"structure": result[0]["value"]})
    assert "déjà membre validé" in member.text


async def test_role_above_the_bot_names_what_to_move(harness: BotHarness) -> None:
    newcomer = await _join_and_request(harness)
    await move_role_above_bot(harness, "Membre du réseau")
    review = _review_message(harness, newcomer)
    result = await harness.emu.click(
        harness.guild_id, harness.person("coordinateur"), review, label="Valider"
    )
    assert "faites glisser « Aiguillage » au-dessus de « Membre du réseau »" in result.text
    assert await _request_status(harness, newcomer) == "pending"
    assert harness.bot is not None and harness.bot.errors_seen == 0
