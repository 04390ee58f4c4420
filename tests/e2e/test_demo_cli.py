"""`aiguillage demo --script`: the transcript, and a non-zero exit when something fails."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_tour_script_runs_clean(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo", "--script", str(ROOT / "docs" / "demo.txt")]) == 0
    out = capsys.readouterr().out
    assert "ce que je peux faire pour vous" in out
    assert "what I can do for you" in out  # the English-speaking member
    assert "réservée aux coordinateurs" in out


def test_demo_script_with_a_failing_line_exits_non_zero(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "bad.txt"
    script.write_text(
        '@membre /aide\n@personne /aide\n@membre click "Inexistant"\n', encoding="utf-8"
    )
    assert main(["demo", "--script", str(script)]) == 1
    out = capsys.readouterr().out
    assert "personne" in out


def test_demo_advance_fires_due_deliveries(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "advance.txt"
    script.write_text("@coordinateur /livraisons liste\nadvance 2h\n", encoding="utf-8")
    assert main(["demo", "--script", str(script)]) == 0


def test_demo_missing_script_is_a_clear_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo", "--script", "/nonexistent/tour.txt"]) == 2
    assert "script introuvable" in capsys.readouterr().err
