from datetime import UTC, datetime
from xml.etree import ElementTree

from cogs.newsletter.compose import Attachment, IssueContent, ItemContent
from cogs.newsletter.export import (
    archives_html,
    atom_feed,
    issue_html,
    issue_markdown,
    markdown_safe,
    markdown_to_html,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def sample(number: int = 7, **kw) -> IssueContent:  # type: ignore[no-untyped-def]
    kw.setdefault(
        "items",
        (
            ItemContent(
                item_id=1,
                title="Atelier « smartphone » <débutants>",
                body="Mardi **14h** au CCAS.\nInscription au 05 56 00 00 00.",
                link_url="https://merignac.example/ateliers",
                structure="CCAS de Mérignac",
                image=Attachment("affiche.png", "a" * 64, 1234, "image/png"),
            ),
            ItemContent(
                item_id=2, title="Forfaits à moindre coût", body="- 5 € / mois\n- 10 € / mois"
            ),
        ),
    )
    kw.setdefault("published_at", datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    return IssueContent(
        number=number,
        heading=f"Lettre n° {number} — janvier 2027",
        intro="Bonne année à tout le réseau !",
        url=f"https://aiguillage.example/newsletter/1/{number}",
        **kw,
    )


def test_markdown_to_html_escapes_raw_html_and_drops_unsafe_links() -> None:
    html = markdown_to_html(
        "<script>alert(1)</script> **gras** [ok](https://a.fr) [ko](javascript:alert(1)) ![x](data:x)"
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>gras</strong>" in html
    assert 'href="https://a.fr"' in html
    assert "javascript:" not in html
    assert "data:x" not in html


def test_issue_html_page_and_fragment() -> None:
    issue = sample()
    page = issue_html(
        issue,
        image_url=lambda item: f"/img/{item.item_id}",
        site_name="Réseau Mérignac",
        archive_url="/newsletter/1/",
        feed_url="/newsletter/1/feed.atom",
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Lettre n° 7 — janvier 2027 — Réseau Mérignac</title>" in page
    assert "Atelier « smartphone » &lt;débutants&gt;" in page
    assert '<img src="/img/1"' in page
    assert "Publiée le <time" in page and "5 janvier 2027" in page
    assert page.index("Atelier") < page.index("Forfaits")
    assert "<li>5 € / mois</li>" in page
    assert 'type="application/atom+xml"' in page
    fragment = issue_html(issue, standalone=False)
    assert not fragment.startswith("<!DOCTYPE") and fragment.lstrip().startswith("<article")
    assert "<img" not in fragment  # no image URL builder: no broken image


def test_unsafe_item_link_is_not_rendered_as_a_link() -> None:
    issue = sample(items=(ItemContent(title="x", body="y", link_url="javascript:alert(1)"),))
    assert "javascript:" not in issue_html(issue)


def test_file_issue_html_links_the_pdf() -> None:
    issue = sample(
        items=(),
        file=Attachment("lettre.pdf", "f" * 64, 2_500_000, "application/pdf"),
        summary="Au sommaire : ateliers.",
        file_url="https://aiguillage.example/newsletter/1/7/fichier.pdf",
    )
    page = issue_html(issue)
    assert "Au sommaire : ateliers." in page
    assert 'href="https://aiguillage.example/newsletter/1/7/fichier.pdf"' in page
    assert "2,4 Mo" in page
    markdown = issue_markdown(issue)
    assert (
        "[Télécharger la lettre (PDF)](https://aiguillage.example/newsletter/1/7/fichier.pdf)"
        in markdown
    )


def test_markdown_export() -> None:
    text = issue_markdown(sample(), image_url=lambda item: f"https://x/img/{item.item_id}")
    assert text.startswith("# Lettre n° 7 — janvier 2027\n")
    assert "*Publiée le 5 janvier 2027*" in text
    assert "## Atelier « smartphone » \\<débutants>" in text
    assert "![Atelier « smartphone » \\<débutants>](https://x/img/1)" in text
    assert "*CCAS de Mérignac*" in text
    assert "🔗 <https://merignac.example/ateliers>" in text
    assert text.index("Atelier") < text.index("Forfaits")
    assert text.rstrip().endswith("Lire en ligne : <https://aiguillage.example/newsletter/1/7>")


def test_markdown_safe() -> None:
    assert markdown_safe(" a <b> ") == "a \\<b>"
    assert markdown_safe("[x](javascript:alert(1))") == "[x](#alert(1))"
    assert (
        markdown_safe("[x](https://a.fr) [m](mailto:a@b.fr)")
        == "[x](https://a.fr) [m](mailto:a@b.fr)"
    )


def test_atom_feed_lists_issues_newest_first_with_full_content() -> None:
    older = sample(6, published_at=datetime(2026, 11, 3, 8, tzinfo=UTC))
    newer = sample(7)
    xml = atom_feed(
        feed_id="https://aiguillage.example/newsletter/1/feed.atom",
        title="Lettre d'information — Réseau Mérignac",
        feed_url="https://aiguillage.example/newsletter/1/feed.atom",
        site_url="https://aiguillage.example/newsletter/1/",
        issues=[older, newer],
        updated=datetime(2027, 2, 1, tzinfo=UTC),
        image_url=lambda issue, item: f"https://x/{issue.number}/{item.item_id}",
    )
    root = ElementTree.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}updated").text.startswith("2027-01-05T08:00:00")
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Lettre n° 7 — janvier 2027",
        "Lettre n° 6 — janvier 2027",
    ]
    first = entries[0]
    assert first.find(f"{ATOM}id").text == "https://aiguillage.example/newsletter/1/7"
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html" and "https://x/7/1" in content.text
    assert first.find(f"{ATOM}summary").text == "Bonne année à tout le réseau !"


def test_empty_feed_is_valid() -> None:
    xml = atom_feed(
        feed_id="urn:x",
        title="Vide",
        feed_url="https://x/feed",
        site_url="https://x/",
        issues=[],
        updated=datetime(2027, 2, 1, tzinfo=UTC),
    )
    root = ElementTree.fromstring(xml)
    assert root.findall(f"{ATOM}entry") == []


def test_archives_page() -> None:
    page = archives_html(
        "Lettres — Réseau <Mérignac>",
        "/feed.atom",
        [
            {
                "url": "/7",
                "heading": "Lettre n° 7",
                "date_label": "5 janvier 2027",
                "markdown_url": "/7.md",
                "fragment_url": "/7.html",
            }
        ],
    )
    assert "Réseau &lt;Mérignac&gt;" in page and 'href="/7.md"' in page
    assert "Aucune lettre" in archives_html("x", "/f", [])
