"""Every message key the capability uses exists in French and English, with the same
placeholders, and every French command text has an English translation."""

import re
import string
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3] / "cogs" / "events"
FR = tomllib.loads((ROOT / "locales" / "fr.toml").read_text(encoding="utf-8"))
EN = tomllib.loads((ROOT / "locales" / "en.toml").read_text(encoding="utf-8"))
SOURCES = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.glob("*.py"))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_same_keys_and_placeholders_in_both_languages() -> None:
    assert set(FR["events"]) == set(EN["events"])
    for key, text in FR["events"].items():
        assert placeholders(text) == placeholders(EN["events"][key]), key


def test_every_key_used_in_code_exists() -> None:
    used = set(re.findall(r'"events\.([a-z_]+)"', SOURCES))
    # Keys built at run time from a fixed set of suffixes.
    used |= {f"kind_{k}" for k in ("copil", "temps_fort", "atelier", "reunion", "autre")}
    used |= {f"button_{a}" for a in ("yes", "no", "rep")}
    used |= {f"answered_{a}" for a in ("yes", "no", "rep")}
    not_messages = {
        "reminder",
        "dm",
        "cadence",
        "plan",
        "edit",
        "cancel",
        "minutes",
        "feed_renew",
        "reminder_offsets",
        "quorum_percent",
        "cadence_months",
        "cadence_lead_days",
        "ics",
        "close",
    }
    missing = sorted(k for k in used - not_messages if k not in FR["events"])
    assert missing == []


def command_texts() -> set[str]:
    """Names, descriptions, option names and descriptions and choices of the command tree."""
    from cogs.events.cog import EventsCog

    texts: set[str] = set()
    for group in (EventsCog.copil, EventsCog.events):
        texts |= {group.name, group.description}
        for command in group.walk_commands():
            texts |= {command.name, command.description}
            for parameter in command.parameters:
                texts |= {parameter.display_name, parameter.description}
                texts |= {choice.name for choice in parameter.choices}
    return texts


@pytest.mark.parametrize("text", sorted(command_texts()))
def test_command_texts_have_english(text: str) -> None:
    assert text in EN["commands"], text
