from datetime import UTC, datetime

from bot.library.snippets import Segment, make_snippet
from bot.library.textnorm import stem
from cogs.library import render
from db.models.documents import Document, DocumentVersion


def test_snippet_markdown_escapes_the_document_and_bolds_matches() -> None:
    segments = [Segment("Voir *urgent* @everyone "), Segment("CAF", True), Segment(" _fin_")]
    text = render.snippet_markdown(segments)
    assert text.startswith("Voir \\*urgent\\* @\u200beveryone ")
    assert "**CAF**" in text and "\\_fin\\_" in text


def test_snippet_centres_on_the_densest_matches() -> None:
    body = (
        ("Introduction générale sans rapport. " * 20)
        + ("Pour la retraite, la demande de retraite se fait en ligne. ")
        + ("Conclusion. " * 20)
    )
    segments = make_snippet(body, {stem("retraite")}, width=120)
    highlighted = [s.text for s in segments if s.highlighted]
    assert highlighted == ["retraite", "retraite"]
    assert segments[0].text == "…" and segments[-1].text == "…"


def test_card_lists_versions_newest_first() -> None:
    when = datetime(2026, 3, 12, 10, tzinfo=UTC)
    document = Document(
        id=7,
        guild_id=1,
        title="Charte",
        description="",
        category="charte",
        tags=["charte"],
        origin="charter",
        owner_id=5,
        created_at=when,
        updated_at=when,
        versions=[
            DocumentVersion(
                number=1, filename="v1.pdf", size=2048, note="", added_by=5, added_at=when
            ),
            DocumentVersion(
                number=2, filename="v2.pdf", size=4096, note="COPIL", added_by=None, added_at=when
            ),
        ],
    )
    embed = render.card_embed(document, "fr", "CCAS de Mérignac")
    versions = next(f.value for f in embed.fields if f.name == "Versions")
    assert versions.index("v2") < versions.index("v1")
    assert "« COPIL »" in versions and "12/03/2026" in versions
    assert any(f.value == "charte" for f in embed.fields if f.name == "Origine")
