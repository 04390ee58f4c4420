import asyncio
from datetime import UTC, datetime

import pytest

from bot.cli import main
from cogs.newsletter.compose import IssueContent, ItemContent
from db.engine import Database
from db.migrate import upgrade
from db.models.newsletter import IssueStatus, NewsletterIssue

from .conftest import GUILD


@pytest.fixture
def published_db(tmp_path, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def seed() -> None:
        db = Database(url)
        await upgrade(db.engine)
        content = IssueContent(
            number=6,
            heading="Lettre n° 6 — novembre 2026",
            intro="Bonjour <b>le réseau</b>",
            items=(ItemContent(item_id=1, title="Atelier", body="Mardi **14h**."),),
            published_at=datetime(2026, 11, 3, 8, tzinfo=UTC),
        )
        async with db.transaction() as session:
            session.add(
                NewsletterIssue(
                    guild_id=GUILD,
                    number=6,
                    status=IssueStatus.PUBLISHED,
                    published_at=content.published_at,
                    snapshot=content.to_dict(),
                    message_ids=[],
                )
            )
        await db.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("AIGUILLAGE_DATABASE_URL", url)
    monkeypatch.setenv("AIGUILLAGE_PUBLIC_URL", "https://aiguillage.example")
    monkeypatch.setenv("AIGUILLAGE_DATA_DIR", str(tmp_path))
    return url


def test_list_and_export(published_db: str, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["newsletter", "liste", str(GUILD)]) == 0
    assert "Lettre n° 6 — novembre 2026" in capsys.readouterr().out
    assert main(["newsletter", "export", str(GUILD), "6"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Lettre n° 6 — novembre 2026")
    assert "Bonjour \\<b>le réseau\\</b>" in markdown
    assert f"<https://aiguillage.example/newsletter/{GUILD}/6>" in markdown
    out = tmp_path / "lettre.html"
    assert (
        main(["newsletter", "export", str(GUILD), "6", "--format", "html", "--sortie", str(out)])
        == 0
    )
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().startswith("<article") and "<strong>14h</strong>" in html
    assert main(["newsletter", "export", str(GUILD), "7"]) == 1
    assert "pas de lettre n° 7" in capsys.readouterr().err
