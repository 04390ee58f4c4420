"""/annonce through the emulated Discord: preview, publication, mentions, schedule, edit."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.harness import BotHarness
from db.models.announcements import Announcement
from tests.issue5_harness import settle, startup_done


async def _write(
    harness: BotHarness, person: str, *, body: str = "Atelier CV mardi 14h, salle B.", **options
):
    """Run /annonce, fill the modal; the preview answer (or the refusal)."""
    options.setdefault("salon", harness.channel("annonces"))
    opened = await harness.slash(person, "annonce", options=options)
    if opened.modal is None:
        return opened
    return await harness.emu.submit_modal(
        harness.guild_id,
        harness.person(person),
        fields={"title": "Atelier CV", "body": body, "link": "https://merignac.fr/ateliers"},
    )


async def _publish(harness: BotHarness, person: str, **options) -> dict:
    preview = await _write(harness, person, **options)
    assert "Aperçu" in preview.text, preview.text
    done = await harness.emu.click(
        harness.guild_id, harness.person(person), preview.message, label="Publier"
    )
    await settle(harness)
    assert "Annonce n°" in done.text
    return harness.emu.last_message(harness.channel("annonces"))


def _post_call(harness: BotHarness):
    channel = harness.channel("annonces")
    return [
        c
        for c in harness.emu.calls
        if c.method == "POST" and c.path.endswith(f"/channels/{channel}/messages")
    ][-1]


@pytest.mark.parametrize(
    ("person", "signature"),
    [
        ("membre", None),
        ("referente-beutre", "MDH Beutre"),
        ("referent", "CCAS"),
        ("coordinateur", "Coordination du réseau"),
    ],
)
async def test_annonce_permission_matrix_and_signature(
    harness: BotHarness, person: str, signature: str | None
) -> None:
    if signature is None:
        refused = await harness.slash(
            person, "annonce", options={"salon": harness.channel("annonces")}
        )
        assert refused.modal is None and "réservée aux référents" in refused.text
        return
    message = await _publish(harness, person)
    (embed,) = message["embeds"]
    assert embed["author"]["name"] == signature
    assert embed["title"] == "Atelier CV" and embed["url"] == "https://merignac.fr/ateliers"
    assert message["content"] == "" and message["mention_everyone"] is False
    assert any(c.path.endswith(f"/messages/{message['id']}/crosspost") for c in harness.emu.calls)
    assert _post_call(harness).json["allowed_mentions"]["parse"] == []


async def test_user_text_never_pings(harness: BotHarness) -> None:
    message = await _publish(harness, "referent", body="@everyone venez nombreux <@&1> @here")
    assert message["content"] == "" and message["mention_everyone"] is False
    assert "@everyone venez" in message["embeds"][0]["description"]


async def test_mention_policy(harness: BotHarness) -> None:
    guild = harness.emu.guild(harness.guild_id)
    referent_role = guild.role("Référent·e")
    refused = await _write(harness, "referent", mention=referent_role.id)
    assert "Vous ne pouvez pas mentionner" in refused.text and refused.modal is None
    everyone = await _write(harness, "referent", diffusion="everyone")
    assert "Seuls les coordinateurs peuvent prévenir tout le serveur" in everyone.text
    assert harness.bot is not None
    await harness.bot.guild_config.set(
        harness.guild_id, "announcements.mention_roles", [referent_role.id]
    )
    message = await _publish(harness, "referent", mention=referent_role.id)
    assert message["content"] == f"<@&{referent_role.id}>"
    mentions = _post_call(harness).json["allowed_mentions"]
    assert [int(r) for r in mentions["roles"]] == [referent_role.id] and mentions["parse"] == []
    broadcast = await _publish(harness, "coordinateur", diffusion="here")
    assert broadcast["content"] == "@here"
    assert _post_call(harness).json["allowed_mentions"]["parse"] == ["everyone"]


async def test_refused_inputs_change_nothing(harness: BotHarness) -> None:
    other = await _write(harness, "referent", salon=harness.channel("entraide"))
    assert "n'est pas un salon d'annonces" in other.text
    past = await _write(harness, "referent", date="01/01/2020 10:00")
    assert "déjà passée" in past.text
    bad = await _write(harness, "referent", date="mardi prochain")
    assert "Date non comprise" in bad.text
    assert harness.bot is not None
    async with harness.bot.db.session() as session:
        assert list(await session.scalars(select(Announcement))) == []
    preview = await _write(harness, "referent")
    cancelled = await harness.emu.click(
        harness.guild_id, harness.person("referent"), preview.message, label="Annuler"
    )
    assert "rien n'a été publié" in cancelled.text
    assert harness.emu.messages(harness.channel("annonces")) == []


async def test_scheduled_announcement_survives_restart_and_goes_once(harness: BotHarness) -> None:
    assert harness.bot is not None
    when = (harness.bot.clock.paris_now() + timedelta(days=2)).strftime("%d/%m/%Y %H:%M")
    preview = await _write(harness, "referent", date=when)
    assert "(heure de Paris)" in preview.text
    scheduled = await harness.emu.click(
        harness.guild_id, harness.person("referent"), preview.message, label="Publier"
    )
    assert "programmée" in scheduled.text
    await settle(harness)
    assert harness.emu.messages(harness.channel("annonces")) == []
    await harness.restart()
    await startup_done(harness)
    await harness.advance(timedelta(days=2, minutes=1))
    await settle(harness)
    await harness.advance(timedelta(hours=1))
    await settle(harness)
    posted = harness.emu.messages(harness.channel("annonces"))
    assert len(posted) == 1 and posted[0]["embeds"][0]["author"]["name"] == "CCAS"


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("membre", False), ("referente-beutre", False), ("referent", True), ("coordinateur", True)],
)
async def test_edit_and_withdraw_permission_matrix(
    harness: BotHarness, person: str, allowed: bool
) -> None:
    message = await _publish(harness, "referent")
    assert harness.bot is not None
    async with harness.bot.db.session() as session:
        (announcement,) = list(await session.scalars(select(Announcement)))
    edit = await harness.slash(person, "annonces modifier", options={"numero": announcement.id})
    if not allowed:
        assert edit.modal is None
        assert "réservée aux référents" in edit.text or "Seuls l'auteur" in edit.text
        withdraw = await harness.slash(
            person, "annonces retirer", options={"numero": announcement.id}
        )
        assert "réservée aux référents" in withdraw.text or "Seuls l'auteur" in withdraw.text
        assert harness.emu.get_message(int(message["id"])) is not None
        return
    assert "Atelier CV" in str(edit.modal)  # the modal opens prefilled with the current text
    edited = await harness.emu.submit_modal(
        harness.guild_id,
        harness.person(person),
        fields={"title": "Atelier CV (complet)", "body": "Complet, merci !", "link": ""},
    )
    assert "modifiée" in edited.text
    await settle(harness)
    updated = harness.emu.get_message(int(message["id"]))
    assert updated["embeds"][0]["title"] == "Atelier CV (complet)"
    withdrawn = await harness.slash(person, "annonces retirer", options={"numero": announcement.id})
    assert "retirée" in withdrawn.text
    await settle(harness)
    assert (
        harness.emu.get_message(int(message["id"])) is None
        or harness.emu.messages(harness.channel("annonces")) == []
    )


async def test_attachment_is_published_from_the_bots_copy(harness: BotHarness) -> None:
    programme = b"%PDF-1.4\n% programme des ateliers\n"
    message = await _publish(harness, "referent", piece_jointe=("programme.pdf", programme))
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "programme.pdf"
    assert harness.emu.blob(attachment) == programme
