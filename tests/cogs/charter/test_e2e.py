"""The charter through the emulated Discord: publish, read, accept, gate role, reminders."""

from datetime import timedelta

import pytest

from bot.harness import BotHarness
from tests.issue5_harness import role_names, settle, startup_done

CHARTER_V1 = "# Charte du réseau\n\nArticle 1 : l'aidant respecte le secret professionnel.\n\nArticle 2 : l'aidé reste maître de ses démarches.".encode()
CHARTER_V2 = (
    CHARTER_V1
    + "\n\nArticle 3 : mandat Aidants Connect obligatoire pour agir à la place de l'aidé.".encode()
)


async def _publish(
    harness: BotHarness, label: str, data: bytes = CHARTER_V1, person: str = "coordinateur"
):
    result = await harness.slash(
        person,
        "charte publier",
        options={"version": label, "resume": f"Résumé {label}"},
        attachments={"fichier": (f"charte-{label}.md", data)},
    )
    await settle(harness)
    return result


def _announcement(harness: BotHarness, label: str) -> dict:
    for message in reversed(harness.emu.messages(harness.channel("annonces"))):
        if any(label in (e.get("title") or "") for e in message.get("embeds", [])):
            return message
    raise AssertionError(f"no announcement for {label}")


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("membre", False), ("referente-beutre", False), ("referent", False), ("coordinateur", True)],
)
async def test_publish_permission_matrix(harness: BotHarness, person: str, allowed: bool) -> None:
    result = await _publish(harness, "v1", person=person)
    seen = await harness.slash("membre", "charte voir")
    if allowed:
        assert "Charte version **v1** publiée" in result.text
        assert "secret professionnel" in seen.text
    else:
        assert "réservée aux coordinateurs" in result.text
        assert "Aucune charte n'est encore publiée" in seen.text
        assert "Charte acceptée" in role_names(harness, "membre")


async def test_publish_accept_gate_role_and_no_forgery(harness: BotHarness) -> None:
    assert "Charte acceptée" in role_names(harness, "membre")
    published = await _publish(harness, "v1")
    assert "retiré à 5 membre(s)" in published.text  # every holder must accept again
    assert "Charte acceptée" not in role_names(harness, "membre")
    announcement = _announcement(harness, "v1")
    assert announcement.get("mentions") == [] and "@everyone" not in announcement["content"]
    # The referent clicks the public button: it records the referent, never someone else.
    clicked = await harness.emu.click(
        harness.guild_id, harness.person("referent"), announcement, label="J'accepte la charte"
    )
    assert "acceptation de la charte (version v1) est enregistrée" in clicked.text
    await settle(harness)
    assert "Charte acceptée" in role_names(harness, "referent")
    assert "Charte acceptée" not in role_names(harness, "membre")
    twice = await harness.emu.click(
        harness.guild_id, harness.person("referent"), announcement, label="J'accepte la charte"
    )
    assert "déjà accepté" in twice.text
    # /charte voir shows the bot's own copy of the file and the text.
    seen = await harness.slash("membre", "charte voir")
    assert "secret professionnel" in seen.text and "pas encore acceptée" in seen.text
    (attachment,) = seen.attachments
    assert harness.emu.blob(attachment) == CHARTER_V1
    accepted = await harness.emu.click(
        harness.guild_id, harness.person("membre"), seen.message, label="J'accepte la charte"
    )
    assert "enregistrée" in accepted.text
    await settle(harness)
    assert "Charte acceptée" in role_names(harness, "membre")


async def test_new_version_reminders_and_old_button(harness: BotHarness) -> None:
    await _publish(harness, "v1")
    old = _announcement(harness, "v1")
    await harness.emu.click(
        harness.guild_id, harness.person("membre"), old, label="J'accepte la charte"
    )
    await _publish(harness, "v2", CHARTER_V2)
    stale = await harness.emu.click(
        harness.guild_id, harness.person("membre"), old, label="J'accepte la charte"
    )
    assert "ancienne version (v1)" in stale.text and "version v2" in stale.text
    assert "Charte acceptée" not in role_names(harness, "membre")
    await harness.restart()
    await startup_done(harness)
    await harness.advance(timedelta(days=3, minutes=1))
    await settle(harness)
    dms = harness.emu.dm_messages(harness.person("membre"))
    assert dms and "version v2" in dms[-1]["content"]
    accepted = await harness.emu.click(
        None, harness.person("membre"), dms[-1], label="J'accepte la charte"
    )
    assert "version v2" in accepted.text
    await settle(harness)
    assert "Charte acceptée" in role_names(harness, "membre")
    # The next reminder skips those who accepted.
    before = len(harness.emu.dm_messages(harness.person("membre")))
    await harness.advance(timedelta(days=4))
    await settle(harness)
    assert len(harness.emu.dm_messages(harness.person("membre"))) == before
    assert harness.emu.dm_messages(harness.person("conseiller"))[-1]["content"].startswith("Rappel")


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("membre", False), ("referente-beutre", False), ("referent", False), ("coordinateur", True)],
)
async def test_follow_up_permission_matrix_and_csv(
    harness: BotHarness, person: str, allowed: bool
) -> None:
    await _publish(harness, "v1")
    await harness.emu.click(
        harness.guild_id,
        harness.person("referent"),
        _announcement(harness, "v1"),
        label="J'accepte la charte",
    )
    result = await harness.slash(person, "charte suivi")
    if not allowed:
        assert "réservée aux coordinateurs" in result.text
        return
    assert "**1** membre(s) sur **6**" in result.text
    assert "CCAS : 1/1" in result.text
    (attachment,) = result.attachments
    rows = harness.emu.blob(attachment).decode("utf-8-sig").splitlines()
    assert rows[0] == "membre,identifiant_discord,structure,version,statut,accepte_le"
    assert any("Rachid (CCAS)" in row and "acceptée" in row for row in rows)
    assert sum("en attente" in row for row in rows) == 5


async def test_bad_files_are_refused_and_nothing_published(harness: BotHarness) -> None:
    for filename, data, expected in (
        ("charte.exe", b"MZ", "Format non pris en charge"),
        ("charte.pdf", b"pas un pdf", "Je n'arrive pas à lire"),
    ):
        result = await harness.slash(
            "coordinateur",
            "charte publier",
            options={"version": "v1"},
            attachments={"fichier": (filename, data)},
        )
        assert expected in result.text
    assert "Aucune charte" in (await harness.slash("membre", "charte voir")).text
    assert "Charte acceptée" in role_names(harness, "membre")
    await _publish(harness, "v1")
    duplicate = await _publish(harness, "V1")
    assert "existe déjà" in duplicate.text
