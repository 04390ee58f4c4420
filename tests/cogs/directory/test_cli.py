"""`aiguillage directory import|export` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

from .conftest import FIXTURES, MERIGNAC


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIGUILLAGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AIGUILLAGE_DATABASE_URL", raising=False)
    return tmp_path


def test_import_dry_run_import_export_round_trip(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["directory", "import", str(MERIGNAC), "--guild", "7", "--dry-run"]) == 0
    assert "Simulation" in capsys.readouterr().out
    assert main(["directory", "import", str(MERIGNAC), "--guild", "7"]) == 0
    assert "27 créé(s)" in capsys.readouterr().out
    out = env / "export.csv"
    assert (
        main(["directory", "export", "--guild", "7", "--format", "csv", "--output", str(out)]) == 0
    )
    assert out.read_bytes().count(b"\r\n") == 28
    assert main(["directory", "import", str(out), "--guild", "7"]) == 0
    assert "27 inchangé(s)" in capsys.readouterr().out
    assert main(["directory", "export", "--guild", "7", "--format", "data-inclusion"]) == 0


def test_refused_file_exits_non_zero_and_changes_nothing(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = env / "bad.csv"
    bad.write_text(
        "id,nom,commune,code_postal,adresse,date_maj,pivot\nx,,Mérignac,337,rue,2026-01-01,0\n"
    )
    assert main(["directory", "import", str(bad), "--guild", "7"]) == 1
    err = capsys.readouterr().err
    assert "ligne 2, champ « nom »" in err and "rien n'a été modifié" in err
    assert main(["directory", "import", str(env / "missing.csv"), "--guild", "7"]) == 2
    assert main(["directory", "export", "--guild", "7", "--format", "json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    assert FIXTURES.exists()
