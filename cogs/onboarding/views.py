"""Onboarding components. Every button a decider or a newcomer may click later is a
DynamicItem whose custom_id carries what it needs, so it works after a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import ReportingModal, report_interaction_error

if TYPE_CHECKING:
    from cogs.onboarding.cog import OnboardingCog


def _cog(interaction: discord.Interaction) -> OnboardingCog:
    cog = interaction.client.get_cog("OnboardingCog")  # type: ignore[attr-defined]
    assert cog is not None
    return cog  # type: ignore[return-value]


class _Reporting:
    """Dynamic items' errors bypass views' on_error: route them to the one handler."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as exc:
            await report_interaction_error(interaction, exc)

    async def run(self, interaction: discord.Interaction) -> None:  # pragma: no cover
        raise NotImplementedError


class StartButton(
    _Reporting, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"onboarding:start"
):
    def __init__(self, label: str = "Commencer mon inscription") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id="onboarding:start",
                emoji="👋",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> StartButton:
        return cls(item.label or "")

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).open_search(interaction)


class StructureSearchModal(ReportingModal):
    def __init__(self, title: str, label: str, placeholder: str) -> None:
        super().__init__(title=title, custom_id="onboarding:search")
        self.query: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=label, placeholder=placeholder, max_length=100, custom_id="query"
        )
        self.add_item(self.query)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).show_matches(interaction, self.query.value)


class StructureSelect(
    _Reporting, discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"onboarding:pick"
):
    def __init__(
        self, options: list[discord.SelectOption] | None = None, placeholder: str = ""
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id="onboarding:pick",
                placeholder=placeholder or None,
                options=options or [discord.SelectOption(label="-", value="0")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select[Any], match: re.Match[str], /
    ) -> StructureSelect:
        return cls(list(item.options), item.placeholder or "")

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).show_charter(interaction, int(self.item.values[0]), edit=True)


class RequestButton(
    _Reporting,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"onboarding:request:(?P<structure>\d+):(?P<version>\d+)",
):
    """ "I accept the charter and ask to join": the version is the one the member read."""

    def __init__(
        self,
        structure_id: int,
        version_id: int,
        label: str = "J'accepte la charte et demande mon accès",
    ) -> None:
        self.structure_id = structure_id
        self.version_id = version_id
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.success,
                custom_id=f"onboarding:request:{structure_id}:{version_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> RequestButton:
        return cls(int(match["structure"]), int(match["version"]), item.label or "")

    async def run(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).submit_request(
            interaction, self.structure_id, self.version_id or None
        )


class DecisionButton(
    _Reporting,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"onboarding:(?P<decision>approve|refuse):(?P<id>\d+)",
):
    def __init__(self, decision: str, request_id: int, label: str | None = None) -> None:
        self.decision = decision
        self.request_id = request_id
        approve = decision == "approve"
        super().__init__(
            discord.ui.Button(
                label=label or ("Valider" if approve else "Refuser"),
                style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                custom_id=f"onboarding:{decision}:{request_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> DecisionButton:
        return cls(match["decision"], int(match["id"]), item.label)

    async def run(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        if self.decision == "approve":
            await cog.approve(interaction, self.request_id)
        else:
            await cog.ask_refusal_reason(interaction, self.request_id)


class RefusalModal(ReportingModal):
    def __init__(self, request_id: int, title: str, label: str) -> None:
        super().__init__(title=title, custom_id=f"onboarding:refusal:{request_id}")
        self.request_id = request_id
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=label, style=discord.TextStyle.paragraph, max_length=500, custom_id="reason"
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).refuse(interaction, self.request_id, self.reason.value)


def start_view(label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StartButton(label))
    return view


def decision_view(request_id: int, *, disabled: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for decision in ("approve", "refuse"):
        button = DecisionButton(decision, request_id)
        button.item.disabled = disabled
        view.add_item(button)
    return view


def select_view(options: list[discord.SelectOption], placeholder: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StructureSelect(options, placeholder))
    return view


def request_view(structure_id: int, version_id: int | None, label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RequestButton(structure_id, version_id or 0, label))
    return view


DYNAMIC_ITEMS = (StartButton, StructureSelect, RequestButton, DecisionButton)
