from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.newsletter.compose import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    Attachment,
    IssueContent,
    ItemContent,
    Limits,
    compose_issue,
    discord_len,
    limit_violations,
    split_text,
    truncate,
    unique_filename,
)
from cogs.newsletter.naming import issue_heading, issue_slug, next_number, period_label


def words(text: str) -> list[str]:
    return text.split()


def test_heading_and_period_in_french_and_english() -> None:
    when = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)
    assert issue_heading(7, when) == "Lettre n° 7 — janvier 2027"
    assert (
        issue_heading(12, datetime(2027, 8, 3, 7, tzinfo=UTC), "en")
        == "Newsletter no. 12 — August 2027"
    )
    # 31 December 23:30 UTC is already January in Paris.
    assert period_label(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "janvier 2027"
    assert issue_slug(7, when) == "lettre-007-janvier-2027"
    assert issue_slug(8, datetime(2027, 2, 2, 8, tzinfo=UTC)) == "lettre-008-fevrier-2027"


def test_next_number() -> None:
    assert next_number(None) == 1
    assert next_number(None, first_number=7) == 7
    assert next_number(7, first_number=1) == 8
    assert next_number(3, first_number=10) == 10


def test_discord_len_counts_utf16_units() -> None:
    assert discord_len("abc") == 3
    assert discord_len("é") == 1
    assert discord_len("📰") == 2
    assert discord_len(None) == 0


def test_truncate_never_exceeds_and_marks_the_cut() -> None:
    assert truncate("court", 10) == "court"
    cut = truncate("x" * 300, EMBED_TITLE_LIMIT)
    assert discord_len(cut) <= EMBED_TITLE_LIMIT and cut.endswith("…")
    emoji = truncate("📰" * 200, 11)
    assert discord_len(emoji) <= 11


def test_split_prefers_paragraphs_then_lines_then_sentences() -> None:
    text = "Premier paragraphe.\n\nDeuxième paragraphe assez long.\nSuite du deuxième."
    assert split_text(text, 40) == [
        "Premier paragraphe.",
        "Deuxième paragraphe assez long.",
        "Suite du deuxième.",
    ]
    assert split_text("Une phrase. Une autre phrase.", 20) == ["Une phrase.", "Une autre phrase."]
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
    assert split_text("   ", 10) == []


def test_split_keeps_chunks_full_instead_of_cutting_at_an_early_break() -> None:
    text = "Intro\n\n" + "mot " * 30
    chunks = split_text(text, 50)
    assert chunks[0].startswith("Intro") and len(chunks[0]) > 40


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000), st.integers(5, 600))
def test_split_text_properties(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(0 < discord_len(c) <= limit for c in chunks)
    # Nothing lost or reordered except whitespace at the cuts.
    assert "".join("".join(c.split()) for c in chunks) == "".join(text.split())


def item(title: str = "Atelier", body: str = "Texte.", **kw) -> ItemContent:  # type: ignore[no-untyped-def]
    return ItemContent(title=title, body=body, **kw)


def issue(items: tuple[ItemContent, ...] = (), **kw) -> IssueContent:  # type: ignore[no-untyped-def]
    kw.setdefault("number", 7)
    kw.setdefault("heading", "Lettre n° 7 — janvier 2027")
    return IssueContent(items=items, **kw)


def assert_postable(plans) -> None:  # type: ignore[no-untyped-def]
    for plan in plans:
        assert limit_violations(plan) == [], plan


def test_small_issue_is_one_message_with_mention_heading_and_items_in_order() -> None:
    image = Attachment("photo atelier.png", "a" * 64, 1000, "image/png")
    content = issue(
        (
            item(
                "Atelier smartphone",
                "Mardi 14h au CCAS.",
                structure="CCAS de Mérignac",
                image=image,
            ),
            item("Permanence CAF", "Nouvelle permanence.", link_url="https://caf.fr/x"),
        ),
        intro="Bonne année !",
        url="https://bot.example/newsletter/1/7",
    )
    plans = compose_issue(content, mention="<@&42>")
    assert len(plans) == 1
    plan = plans[0]
    assert plan.content.startswith("<@&42>\n📰 **Lettre n° 7 — janvier 2027**")
    assert "Bonne année !" in plan.content and "https://bot.example/newsletter/1/7" in plan.content
    assert [e.title for e in plan.embeds] == ["Atelier smartphone", "Permanence CAF"]
    assert plan.embeds[0].image == "photo_atelier.png"
    assert [a.filename for a in plan.attachments] == ["photo_atelier.png"]
    assert plan.embeds[0].fields == [("Structure", "CCAS de Mérignac")]
    assert plan.embeds[1].url == "https://caf.fr/x"
    assert ("Lien", "https://caf.fr/x") in plan.embeds[1].fields
    data = plan.to_dict()
    assert data["embeds"][0]["image"] == {"url": "attachment://photo_atelier.png"}
    assert_postable(plans)


def test_unsafe_link_is_not_used_as_embed_url() -> None:
    plans = compose_issue(issue((item(link_url="javascript:alert(1)"),)))
    assert plans[0].embeds[0].url is None
    assert plans[0].embeds[0].fields == []


def test_empty_issue_says_so() -> None:
    plans = compose_issue(issue(()))
    assert plans[0].embeds[0].description == "Aucun article dans ce numéro."
    assert_postable(plans)


def test_oversized_content_is_split_in_order_within_every_limit() -> None:
    long_body = "\n\n".join(f"Paragraphe {n} : " + "texte " * 150 for n in range(12))  # ~11 000
    items = tuple(
        item(
            f"Article {n} " + "T" * 300,
            long_body if n % 2 else "Court.",
            image=Attachment(f"i{n}.png", f"{n:064d}", 10),
        )
        for n in range(30)
    )
    intro = "Intro. " * 700  # ~4 900 characters: more than one message of content
    plans = compose_issue(issue(items, intro=intro), mention="<@&1>")
    assert_postable(plans)
    assert len(plans) > 5
    assert plans[0].content.startswith("<@&1>\n")
    assert sum(p.content.count("<@&1>") for p in plans) == 1
    # The introduction comes first, complete, over several contents.
    contents = " ".join(p.content for p in plans if p.content)
    assert words(contents).count("Intro.") == 700
    # Items appear in order, each body complete, continuation embeds titled "(suite)".
    seen: list[str] = []
    text_by_item: dict[str, list[str]] = {}
    for plan in plans:
        for embed in plan.embeds:
            key = embed.title.split(" ")[1]
            if not seen or seen[-1] != key:
                seen.append(key)
            text_by_item.setdefault(key, []).append(embed.description or "")
            assert discord_len(embed.title) <= EMBED_TITLE_LIMIT
            assert discord_len(embed.description) <= EMBED_DESCRIPTION_LIMIT
        assert len(plan.embeds) <= EMBEDS_PER_MESSAGE
        assert plan.embeds_size() <= EMBED_TOTAL_LIMIT
        assert discord_len(plan.content) <= CONTENT_LIMIT
    assert seen == [str(n) for n in range(30)]
    assert words(" ".join(text_by_item["1"])) == words(long_body)
    continued = [e for p in plans for e in p.embeds if e.title.endswith("(suite)")]
    assert continued
    # Every image travels with the embed that shows it.
    for plan in plans:
        names = {a.filename for a in plan.attachments}
        assert {e.image for e in plan.embeds if e.image} == names


def test_heavy_images_are_spread_over_messages_by_upload_size() -> None:
    big = 4 * 1024 * 1024
    items = tuple(item(f"A{n}", image=Attachment("photo.jpg", f"{n:064d}", big)) for n in range(5))
    plans = compose_issue(issue(items))
    assert_postable(plans)
    assert all(p.attachments_bytes() <= 10 * 1024 * 1024 for p in plans)
    names = [a.filename for p in plans for a in p.attachments]
    assert len(names) == len(set(names)) == 5


def test_eleven_images_never_share_one_message() -> None:
    items = tuple(item(f"A{n}", image=Attachment("x.png", f"{n:064d}", 10)) for n in range(11))
    plans = compose_issue(issue(items))
    assert_postable(plans)
    assert max(len(p.attachments) for p in plans) <= 10


def test_file_mode_attaches_the_pdf_with_the_summary() -> None:
    pdf = Attachment("Lettre janvier.pdf", "f" * 64, 2_000_000, "application/pdf")
    plans = compose_issue(issue(file=pdf, summary="Au programme : ateliers, permanences."))
    assert_postable(plans)
    assert plans[0].attachments[0].filename == "Lettre_janvier.pdf"
    assert plans[0].embeds[0].description.startswith("Au programme")


def test_file_too_heavy_to_upload_is_linked_instead() -> None:
    pdf = Attachment("lettre.pdf", "f" * 64, 30 * 1024 * 1024, "application/pdf")
    plans = compose_issue(
        issue(file=pdf, summary="Résumé.", file_url="https://bot.example/nl/7/fichier.pdf")
    )
    assert_postable(plans)
    assert not any(p.attachments for p in plans)
    assert "https://bot.example/nl/7/fichier.pdf" in plans[0].embeds[0].description


def test_smaller_limits_are_respected_too() -> None:
    limits = Limits(content=100, embed_description=200, embed_total=600, embeds_per_message=3)
    items = tuple(item(f"T{n}", "mot " * 120) for n in range(4))
    plans = compose_issue(issue(items, intro="intro " * 40), limits=limits)
    for plan in plans:
        assert limit_violations(plan, limits) == []


def test_unique_filename() -> None:
    taken: set[str] = set()
    assert unique_filename("photo.png", taken) == "photo.png"
    assert unique_filename("photo.png", taken) == "photo-2.png"
    assert unique_filename("../../é t é", taken) == "t"
    assert unique_filename("", taken) == "fichier"


def test_limit_violations_detects_problems() -> None:
    from cogs.newsletter.compose import EmbedPlan, MessagePlan

    bad = MessagePlan(
        content="x" * 2001, embeds=[EmbedPlan(description="d" * 4097, image="missing.png")]
    )
    problems = limit_violations(bad)
    assert any("content" in p for p in problems)
    assert any("description" in p for p in problems)
    assert any("not attached" in p for p in problems)
    assert limit_violations(MessagePlan()) == ["empty message"]


def test_snapshot_round_trip() -> None:
    content = issue(
        (item(image=Attachment("a.png", "a" * 64, 5, "image/png"), structure="BIB", item_id=3),),
        intro="x",
        published_at=datetime(2027, 1, 5, 8, tzinfo=UTC),
    )
    assert IssueContent.from_dict(content.to_dict()) == content


@pytest.mark.parametrize("limit", [0, -1])
def test_split_rejects_non_positive_limit(limit: int) -> None:
    with pytest.raises(ValueError):
        split_text("abc", limit)
