"""Buttons and modals of the newsletter.

The review buttons are :class:`discord.ui.DynamicItem`\\ s: their ``custom_id`` carries the
proposal's id ("nl:accept:12"), so they keep working on cards posted before a restart.
Every callback reports its errors through the runtime's one error handler.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import ReportingModal, ReportingView, report_interaction_error
from bot.i18n import t
from cogs.newsletter.service import BODY_MAX, LINK_MAX, REASON_MAX, TITLE_MAX

if TYPE_CHECKING:
    from cogs.newsletter.cog import NewsletterCog


def _cog(interaction: discord.Interaction) -> NewsletterCog:
    cog = interaction.client.get_cog("NewsletterCog")  # type: ignore[attr-defined]
    assert cog is not None, "the newsletter capability is not loaded"
    return cog  # type: ignore[no-any-return]


class _ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"nl:x:(?P<id>\d+)"):
    action = ""
    style = discord.ButtonStyle.secondary
    label_key = ""

    def __init__(self, item_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or t(self.label_key, "fr"),
                style=self.style,
                custom_id=f"nl:{self.action}:{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
        /,
    ) -> _ReviewButton:
        return cls(int(match["id"]), label=item.label)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


class AcceptButton(_ReviewButton, template=r"nl:accept:(?P<id>\d+)"):
    action = "accept"
    style = discord.ButtonStyle.success
    label_key = "newsletter.button_accept"

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).accept_from_button(interaction, self.item_id)


class EditButton(_ReviewButton, template=r"nl:edit:(?P<id>\d+)"):
    action = "edit"
    style = discord.ButtonStyle.secondary
    label_key = "newsletter.button_edit"

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).open_edit_modal(interaction, self.item_id)


class RefuseButton(_ReviewButton, template=r"nl:refuse:(?P<id>\d+)"):
    action = "refuse"
    style = discord.ButtonStyle.danger
    label_key = "newsletter.button_refuse"

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).open_refuse_modal(interaction, self.item_id)


DYNAMIC_ITEMS = (AcceptButton, EditButton, RefuseButton)


def review_view(
    item_ids: list[int], locale: str = "fr", *, numbered: bool = False, accept: bool = True
) -> ReportingView:
    """One row of [Accepter] [Modifier] [Refuser] per proposal (at most five)."""
    view = ReportingView(timeout=None)
    for row, item_id in enumerate(item_ids[:5]):
        suffix = "_n" if numbered else ""
        buttons: list[_ReviewButton] = []
        if accept:
            buttons.append(
                AcceptButton(
                    item_id, t(f"newsletter.button_accept{suffix}", locale, item_id=item_id)
                )
            )
        buttons.append(
            EditButton(item_id, t(f"newsletter.button_edit{suffix}", locale, item_id=item_id))
        )
        buttons.append(
            RefuseButton(item_id, t(f"newsletter.button_refuse{suffix}", locale, item_id=item_id))
        )
        for button in buttons:
            button.row = row
            view.add_item(button)
    return view


def _text_input(
    locale: str,
    key: str,
    *,
    max_length: int,
    required: bool = True,
    paragraph: bool = False,
    default: str | None = None,
    placeholder_key: str | None = None,
) -> discord.ui.Label[Any]:
    return discord.ui.Label(
        text=t(key, locale),
        component=discord.ui.TextInput(
            style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
            required=required,
            max_length=max_length,
            default=default,
            placeholder=t(placeholder_key, locale)[:100] if placeholder_key else None,
        ),
    )


def _value(label: discord.ui.Label[Any]) -> str:
    component = label.component
    assert isinstance(component, discord.ui.TextInput)
    return component.value or ""


class ProposalModal(ReportingModal):
    """Title, text and link of a proposal; the image and structure come from the command."""

    def __init__(
        self, locale: str, *, image: discord.Attachment | None, structure_id: int | None
    ) -> None:
        super().__init__(title=t("newsletter.modal_title", locale), timeout=1800)
        self.image = image
        self.structure_id = structure_id
        self.title_input = _text_input(
            locale,
            "newsletter.field_title",
            max_length=TITLE_MAX,
            placeholder_key="newsletter.field_title_placeholder",
        )
        self.body_input = _text_input(
            locale,
            "newsletter.field_body",
            max_length=BODY_MAX,
            paragraph=True,
            placeholder_key="newsletter.field_body_placeholder",
        )
        self.link_input = _text_input(
            locale,
            "newsletter.field_link",
            max_length=LINK_MAX,
            required=False,
            placeholder_key="newsletter.field_link_placeholder",
        )
        for child in (self.title_input, self.body_input, self.link_input):
            self.add_item(child)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).submit_proposal(
            interaction,
            title=_value(self.title_input),
            body=_value(self.body_input),
            link=_value(self.link_input),
            image=self.image,
            structure_id=self.structure_id,
        )


class EditModal(ReportingModal):
    def __init__(
        self, locale: str, *, item_id: int, title: str, body: str, link: str | None
    ) -> None:
        super().__init__(
            title=t("newsletter.edit_modal_title", locale, item_id=item_id)[:45], timeout=1800
        )
        self.item_id = item_id
        self.title_input = _text_input(
            locale, "newsletter.field_title", max_length=TITLE_MAX, default=title
        )
        self.body_input = _text_input(
            locale, "newsletter.field_body", max_length=BODY_MAX, paragraph=True, default=body
        )
        self.link_input = _text_input(
            locale, "newsletter.field_link", max_length=LINK_MAX, required=False, default=link
        )
        for child in (self.title_input, self.body_input, self.link_input):
            self.add_item(child)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).submit_edit(
            interaction,
            self.item_id,
            title=_value(self.title_input),
            body=_value(self.body_input),
            link=_value(self.link_input),
        )


class RefuseModal(ReportingModal):
    def __init__(self, locale: str, *, item_id: int) -> None:
        super().__init__(
            title=t("newsletter.refuse_modal_title", locale, item_id=item_id)[:45], timeout=1800
        )
        self.item_id = item_id
        self.reason_input = _text_input(
            locale,
            "newsletter.refuse_reason",
            max_length=REASON_MAX,
            paragraph=True,
            placeholder_key="newsletter.refuse_reason_placeholder",
        )
        self.add_item(self.reason_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).submit_refusal(
            interaction, self.item_id, reason=_value(self.reason_input)
        )
