import asyncio
from datetime import UTC, datetime, timedelta

from bot.cli import main
from db.engine import Database
from db.migrate import upgrade
from db.models.core import AuditEntry


def test_audit_export_cli(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIGUILLAGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AIGUILLAGE_DATABASE_URL", raising=False)

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'aiguillage.db'}")
        await upgrade(db.engine)
        now = datetime.now(UTC)
        async with db.transaction() as session:
            session.add(
                AuditEntry(
                    guild_id=7,
                    at=now,
                    actor_id=1,
                    action="referent.designate",
                    target="user:2",
                    details={},
                )
            )
            session.add(
                AuditEntry(
                    guild_id=7,
                    at=now - timedelta(days=30),
                    actor_id=1,
                    action="referent.remove",
                    target="user:2",
                    details={},
                )
            )
            session.add(
                AuditEntry(
                    guild_id=8,
                    at=now,
                    actor_id=1,
                    action="referent.designate",
                    target="user:3",
                    details={},
                )
            )
        await db.dispose()

    asyncio.run(seed())
    output = tmp_path / "audit.csv"
    assert (
        main(
            [
                "audit",
                "export",
                "--guild",
                "7",
                "--action",
                "referent.",
                "--since",
                "7j",
                "--output",
                str(output),
            ]
        )
        == 0
    )
    rows = output.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 2 and "referent.designate" in rows[1] and "user:2" in rows[1]
    assert main(["audit", "export", "--guild", "7", "--since", "hier"]) == 2
    assert "Période non comprise" in capsys.readouterr().err
