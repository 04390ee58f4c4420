"""/audit through the emulated Discord."""

import pytest

from bot.harness import BotHarness
from tests.issue5_harness import settle, structure_id


async def _designate_and_remove(harness: BotHarness, times: int) -> None:
    mediatheque = await structure_id(harness, "Médiathèque")
    for _ in range(times):
        options = {"membre": "conseiller", "structure": mediatheque}
        assert (
            "désormais"
            in (await harness.slash("coordinateur", "referent designer", options=options)).text
        )
        assert (
            "n'est plus"
            in (await harness.slash("coordinateur", "referent retirer", options=options)).text
        )
    await settle(harness)


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("membre", False), ("referente-beutre", False), ("referent", False), ("coordinateur", True)],
)
async def test_audit_permission_matrix(harness: BotHarness, person: str, allowed: bool) -> None:
    await _designate_and_remove(harness, 1)
    result = await harness.slash(person, "audit")
    if allowed:
        assert "Journal d'audit — 2 action(s)" in result.text
        assert "referent.designate" in result.text and "Médiathèque" in result.text
    else:
        assert "réservée aux coordinateurs" in result.text
        assert "referent.designate" not in result.text


async def test_filters_pages_and_export(harness: BotHarness) -> None:
    await _designate_and_remove(harness, 6)
    coordinator = harness.person("coordinateur")
    choices = await harness.emu.autocomplete(
        harness.guild_id, coordinator, "audit", "action", "referent."
    )
    assert {c["value"] for c in choices} == {"referent.designate", "referent.remove"}
    only_removals = await harness.slash(
        "coordinateur", "audit", options={"action": "referent.remove"}
    )
    assert "6 action(s)" in only_removals.text and "referent.designate" not in only_removals.text
    paged = await harness.slash("coordinateur", "audit", options={"depuis": "7j", "export": True})
    assert "12 action(s)" in paged.text and "Page 1/2" in paged.text
    (attachment,) = paged.attachments
    csv_text = harness.emu.blob(attachment).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "date,acteur,action,cible,structure,details"
    assert len(csv_text.splitlines()) == 13
    second = await harness.emu.click(harness.guild_id, coordinator, paged.message, label="▶")
    assert "Page 2/2" in second.text
    nobody = await harness.slash("coordinateur", "audit", options={"membre": "membre"})
    assert "Aucune action ne correspond" in nobody.text


async def test_bad_period_is_explained(harness: BotHarness) -> None:
    result = await harness.slash("coordinateur", "audit", options={"depuis": "la semaine dernière"})
    assert "Période non comprise" in result.text and "7j" in result.text
