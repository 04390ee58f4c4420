"""The demo console engine, run against the plain test bot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.emulator import EmulatedDiscord
from bot.emulator.console import ConsoleError, DemoConsole, parse_duration, tokenize
from tests.emulator.conftest import EmuTestBot, World


def test_tokenize_and_durations():
    assert tokenize('@alice /echo texte:"l\'atelier du jeudi" nombre:2') == [
        "@alice",
        "/echo",
        "texte:l'atelier du jeudi",
        "nombre:2",
    ]
    assert tokenize('click "Donner un avis"') == ["click", "Donner un avis"]
    assert parse_duration("7d") == dt.timedelta(days=7)
    assert parse_duration("1d12h") == dt.timedelta(days=1, hours=12)
    assert parse_duration("30m") == dt.timedelta(minutes=30)
    assert parse_duration("2j") == dt.timedelta(days=2)
    with pytest.raises(ConsoleError):
        parse_duration("demain")
    with pytest.raises(ConsoleError):
        tokenize('texte:"pas fermé')


def _console(emu: EmulatedDiscord, world: World, bot: EmuTestBot, lines: list[str], **kw):
    advanced: list[dt.timedelta] = []

    async def advance(delta: dt.timedelta) -> None:
        advanced.append(delta)
        # What a scheduled delivery does when the bot's clock passes its due time.
        await bot.get_channel(world.general.id).send(f"Rappel programmé (+{delta})")

    console = DemoConsole(
        emu,
        world.guild.id,
        {"alice": world.alice.id, "bob": world.bob.id},
        advance,
        out=lines.append,
        errors_seen=lambda: len(bot.errors),
        **kw,
    )
    return console, advanced


async def test_script_transcript(
    emu: EmulatedDiscord, world: World, bot: EmuTestBot, tmp_path: Path
):
    (tmp_path / "note.txt").write_bytes(b"bonjour")
    script = tmp_path / "demo.txt"
    script.write_text(
        "\n".join(
            [
                "# Démonstration",
                "@alice /ping",
                '@alice /echo texte:"l\'atelier " nombre:1 membre:@bob salon:#annonces role:&Référent',
                "@alice /panneau",
                '@bob click "Valider"',
                '@alice click "Donner un avis"',
                '@alice submit sujet:"Horaires" Détail:"à revoir"',
                "@alice attach note.txt /fichier",
                '@alice /admin annonce salon:#général texte:"Bonjour à tous"',
                "@alice /lent",
                "",
                "advance 7d",
            ]
        ),
        encoding="utf-8",
    )
    lines: list[str] = []
    console, advanced = _console(emu, world, bot, lines)
    code = await console.run_script(script)
    text = "\n".join(lines)
    assert code == 0, text
    assert advanced == [dt.timedelta(days=7)]
    expected_in_order = [
        "# Démonstration",
        "> @alice /ping",
        "  [réponse]",
        "    pong",
        "    l'atelier  membre=Bob role=Référent salon=annonces",
        "    Que faire ?",
        "    [Valider] [Donner un avis] [Plus tard]",
        "    ▾ Choisir une ville : Lyon | Paris",
        '> @bob click "Valider"',
        "  [message modifié]",
        "    Validé par Bob",
        "    [Valider] (désactivé) [Donner un avis] [Plus tard]",
        "  [formulaire « Votre avis »] champs : Sujet (sujet, requis); Détail (detail)",
        "  [réponse] (éphémère, visible par @alice seulement)",
        "    Merci Alice : Horaires / à revoir",
        "    note.txt 7 octets",
        "    📎 inverse.bin (7 octets)",
        "  [#général] nouveau message",
        "    Bonjour à tous",
        "    ┌─ Résultat",
        "    │ Calcul terminé",
        "    │ Total : 42",
        "    └─ Aiguillage",
        "  [suite]",
        "    et encore une chose",
        "> advance 7d",
        "  ⏱ horloge avancée de 7 j",
        "  [#général] nouveau message",
        "    Rappel programmé (+7 days, 0:00:00)",
        "✓ script terminé sans erreur",
    ]
    pos = 0
    for wanted in expected_in_order:
        found = next((i for i in range(pos, len(lines)) if lines[i].startswith(wanted)), None)
        assert found is not None, f"missing (in order) {wanted!r} in:\n{text}"
        pos = found + 1


async def test_script_errors_are_reported_in_french(
    emu: EmulatedDiscord, world: World, bot: EmuTestBot
):
    lines: list[str] = []
    console, _ = _console(emu, world, bot, lines)
    code = await console.run_script(
        [
            "@zoe /ping",
            "@alice /inconnue",
            "@alice /admin role",
            "@alice /echo",
            "@alice /echo texte:x couleur:bleu",
            '@alice click "Inexistant"',
            "@alice submit sujet:x",
            "@alice /echo texte:x membre:@nobody",
            "bonjour",
            "advance demain",
            "@alice /ping",
        ]
    )
    text = "\n".join(lines)
    assert code == 1
    assert console.failures == 10, text
    for fragment in [
        "membre inconnu « @zoe » (membres connus : @alice, @bob)",
        "commande inconnue « /inconnue »",
        "/admin role demande une sous-commande : donner",
        "option obligatoire manquante : texte",
        "option inconnue « couleur » (options : texte, nombre, membre, role, salon, urgent)",
        "aucun bouton « Inexistant » dans les messages visibles par @alice",
        "aucun formulaire ouvert pour @alice",
        "membre inconnu « @nobody »",
        "ligne incomprise « bonjour »",
        "durée invalide « demain »",
        "✗ 10 ligne(s) en échec",
    ]:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert "    pong" in lines


async def test_bot_error_fails_the_script(emu: EmulatedDiscord, world: World, bot: EmuTestBot):
    lines: list[str] = []
    console, _ = _console(emu, world, bot, lines)
    code = await console.run_script(["@alice /boum", "@alice /ping"])
    text = "\n".join(lines)
    assert code == 1
    assert "Une erreur est survenue." in text
    assert "⚠ le bot a journalisé 1 erreur(s) pendant cette ligne" in text
    assert console.failures == 1


async def test_interactive_loop(
    emu: EmulatedDiscord, world: World, bot: EmuTestBot, monkeypatch: pytest.MonkeyPatch
):
    typed = iter(["aide", "@alice /ping", "@bob /inconnue", "quitter", "@alice /ping"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr("builtins.input", fake_input)
    lines: list[str] = []
    console, _ = _console(emu, world, bot, lines)
    code = await console.interactive()
    text = "\n".join(lines)
    assert code == 1  # one line failed
    assert prompts == ["aiguillage> "] * 4
    assert "Commandes disponibles :" in text
    assert "    pong" in lines
    assert "commande inconnue « /inconnue »" in text
    assert lines[-1] == "Au revoir."
    assert [m["content"] for m in emu.messages(world.general.id)] == ["pong"]
