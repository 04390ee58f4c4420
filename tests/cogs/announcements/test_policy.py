from datetime import UTC, datetime

import pytest

from cogs.announcements.errors import AnnouncementError
from cogs.announcements.policy import (
    MentionPlan,
    check_channel,
    check_mentions,
    check_text,
    embed_dict,
    parse_publish_at,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris


@pytest.mark.parametrize(
    ("roles", "broadcast", "coordinator", "error"),
    [
        ((), None, False, None),
        ((5,), None, False, None),  # allow-listed role
        ((6,), None, False, "announcements.mention_not_allowed"),
        ((6,), None, True, None),  # coordinators may ping any role
        ((), "everyone", False, "announcements.broadcast_coordinators_only"),
        ((), "here", True, None),
        ((), "all", True, "announcements.bad_broadcast"),
    ],
)
def test_mention_policy(roles, broadcast, coordinator, error) -> None:
    call = lambda: check_mentions(  # noqa: E731
        role_ids=roles, broadcast=broadcast, is_coordinator=coordinator, allowed_role_ids=[5]
    )
    if error:
        with pytest.raises(AnnouncementError) as refused:
            call()
        assert refused.value.key == error
    else:
        assert call().role_ids == tuple(roles)


def test_no_mention_by_default() -> None:
    plan = MentionPlan()
    assert plan.content is None
    assert plan.allowed_mentions() == {"everyone": False, "roles": [], "users": []}
    plan = MentionPlan((5, 7), "here")
    assert plan.content == "@here <@&5> <@&7>"
    assert plan.allowed_mentions()["everyone"] is True
    assert plan.allowed_mentions()["roles"] == ["5", "7"]


def test_user_text_stays_in_the_embed() -> None:
    embed = embed_dict(
        title="Atelier",
        body="@everyone venez <@&9>",
        link=None,
        signature="CCAS de Mérignac",
        author_name="Alice",
    )
    assert embed["description"] == "@everyone venez <@&9>"  # embeds never ping
    assert embed["author"]["name"] == "CCAS de Mérignac"
    assert "url" not in embed
    edited = embed_dict(
        title="A",
        body="B",
        link="https://example.org",
        signature="S",
        author_name="Alice",
        edited=True,
        attachment_filename="affiche.PNG",
    )
    assert edited["footer"]["text"].endswith("modifiée") and edited["url"] == "https://example.org"
    assert edited["image"]["url"] == "attachment://affiche.PNG"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("15/03/2026 14:30", datetime(2026, 3, 15, 13, 30, tzinfo=UTC)),
        ("15/03/2026 14h", datetime(2026, 3, 15, 13, 0, tzinfo=UTC)),
        ("01/07 08:00", datetime(2026, 7, 1, 6, 0, tzinfo=UTC)),  # summer time
        ("01/01 08:00", datetime(2027, 1, 1, 7, 0, tzinfo=UTC)),  # next such date
    ],
)
def test_publish_date(text: str, expected) -> None:
    assert parse_publish_at(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("demain", "announcements.bad_date"),
        ("31/02/2026 10:00", "announcements.bad_date"),
        ("01/03/2026 10:00", "announcements.date_in_past"),
        ("01/03/2030 10:00", "announcements.date_too_far"),
    ],
)
def test_publish_date_refused(text: str, key: str) -> None:
    with pytest.raises(AnnouncementError) as refused:
        parse_publish_at(text, NOW)
    assert refused.value.key == key


@pytest.mark.parametrize(
    ("title", "body", "link", "key"),
    [
        ("", "b", None, "announcements.title_required"),
        ("t" * 257, "b", None, "announcements.title_too_long"),
        ("t", " ", None, "announcements.body_required"),
        ("t", "b" * 4001, None, "announcements.body_too_long"),
        ("t", "b", "javascript:alert(1)", "announcements.bad_link"),
        ("t", "b", "ftp://x.org", "announcements.bad_link"),
    ],
)
def test_text_refused(title, body, link, key) -> None:
    with pytest.raises(AnnouncementError) as refused:
        check_text(title, body, link)
    assert refused.value.key == key


def test_text_and_channel_accepted() -> None:
    assert check_text(" Atelier ", " Mardi ", " ") == ("Atelier", "Mardi", None)
    assert check_channel(10, [10, 11]) == 10
    with pytest.raises(AnnouncementError) as refused:
        check_channel(12, [10, 11])
    assert refused.value.kwargs == {"channel": "<#12>"}
