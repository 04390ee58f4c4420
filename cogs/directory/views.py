"""Buttons, selects and modals of the directory.

Buttons that must keep working after a restart (on results, on handovers sent to
referents, on reminders) are ``DynamicItem``s: their custom_id carries what they act on,
and the cog re-reads everything from the database when they are clicked.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import ReportingModal, report_interaction_error
from bot.i18n import t
from db.models.structures import (
    FRAIS,
    MODALITES_ACCES,
    MODALITES_ACCOMPAGNEMENT,
    PRISE_EN_CHARGE,
    PUBLICS,
    SERVICES,
)

if TYPE_CHECKING:
    from .cog import DirectoryCog

CHOICE_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "services": SERVICES,
    "modalites_acces": MODALITES_ACCES,
    "frais_a_charge": FRAIS,
    "publics_specifiquement_adresses": PUBLICS,
    "prise_en_charge_specifique": PRISE_EN_CHARGE,
    "modalites_accompagnement": MODALITES_ACCOMPAGNEMENT,
}
CHOICE_LABELS = {
    "services": "Services",
    "modalites_acces": "Modalités d'accès",
    "frais_a_charge": "Frais",
    "publics_specifiquement_adresses": "Publics spécifiques (vide = tout public)",
    "prise_en_charge_specifique": "Accompagnements spécifiques",
    "modalites_accompagnement": "Modalités d'accompagnement",
}


def _cog(interaction: discord.Interaction) -> DirectoryCog:
    cog = interaction.client.get_cog("DirectoryCog")  # type: ignore[attr-defined]
    assert cog is not None
    return cog  # type: ignore[return-value]


async def _guarded(interaction: discord.Interaction, coroutine: Any) -> None:
    """Dynamic items run outside a View subclass: route their errors to the one handler."""
    try:
        await coroutine
    except Exception as error:
        await report_interaction_error(interaction, error)


class ResultButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dir:(?P<action>card|send|report|verify):(?P<sid>\d+)",
):
    def __init__(self, action: str, structure_id: int, label: str = "", style: Any = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=style or discord.ButtonStyle.secondary,
                custom_id=f"dir:{action}:{structure_id}",
            )
        )
        self.action = action
        self.structure_id = structure_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ResultButton:
        return cls(match["action"], int(match["sid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        handler = {
            "card": cog.show_card,
            "send": cog.open_handover_modal,
            "report": cog.open_report_modal,
            "verify": cog.verify_from_button,
        }[self.action]
        await _guarded(interaction, handler(interaction, self.structure_id))


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dir:page:(?P<token>[0-9a-f]{8,32}):(?P<page>\d+)",
):
    def __init__(self, token: str, page: int, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or str(page + 1),
                style=discord.ButtonStyle.primary,
                custom_id=f"dir:page:{token}:{page}",
                disabled=disabled,
            )
        )
        self.token = token
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(match["token"], int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(interaction, _cog(interaction).show_page(interaction, self.token, self.page))


class HandoverButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dir:ho:(?P<action>ack|redir):(?P<hid>\d+)",
):
    def __init__(self, action: str, handover_id: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=discord.ButtonStyle.success
                if action == "ack"
                else discord.ButtonStyle.secondary,
                custom_id=f"dir:ho:{action}:{handover_id}",
            )
        )
        self.action = action
        self.handover_id = handover_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> HandoverButton:
        return cls(match["action"], int(match["hid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        if self.action == "ack":
            await _guarded(interaction, cog.answer_handover(interaction, self.handover_id))
        else:
            await _guarded(interaction, cog.open_redirect_modal(interaction, self.handover_id))


class ReportCloseButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"dir:rep:close:(?P<rid>\d+)"
):
    def __init__(self, report_id: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "OK",
                style=discord.ButtonStyle.success,
                custom_id=f"dir:rep:close:{report_id}",
            )
        )
        self.report_id = report_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReportCloseButton:
        return cls(int(match["rid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(interaction, _cog(interaction).close_report(interaction, self.report_id))


class ChoiceSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"dir:edit:(?P<field>[a-z_]+):(?P<sid>\d+)",
):
    """A multi-select over one closed vocabulary of the standard, for one structure."""

    def __init__(self, field: str, structure_id: int, current: list[str] | None = None) -> None:
        vocabulary = CHOICE_VOCABULARIES[field]
        current = current or []
        super().__init__(
            discord.ui.Select(
                custom_id=f"dir:edit:{field}:{structure_id}",
                placeholder=CHOICE_LABELS[field],
                min_values=0,
                max_values=len(vocabulary),
                options=[
                    discord.SelectOption(label=v[:100], value=str(i), default=v in current)
                    for i, v in enumerate(vocabulary)
                ],
            )
        )
        self.field = field
        self.structure_id = structure_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ChoiceSelect:
        if match["field"] not in CHOICE_VOCABULARIES:
            raise ValueError(match["field"])
        return cls(match["field"], int(match["sid"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        vocabulary = CHOICE_VOCABULARIES[self.field]
        values = [vocabulary[int(v)] for v in self.item.values if v.isdigit()]
        await _guarded(
            interaction,
            _cog(interaction).save_choices(interaction, self.structure_id, self.field, values),
        )


DYNAMIC_ITEMS = (ResultButton, PageButton, HandoverButton, ReportCloseButton, ChoiceSelect)


# --------------------------------------------------------------------------- modals


class HandoverModal(ReportingModal):
    def __init__(self, cog: DirectoryCog, structure_id: int, name: str, need: str) -> None:
        super().__init__(title=f"Orienter vers {name}"[:45], timeout=900)
        self.cog = cog
        self.structure_id = structure_id
        self.need = discord.ui.TextInput(
            label="Besoin (sans donnée personnelle)", default=need[:200] or None, max_length=200
        )
        self.when = discord.ui.TextInput(
            label="Quand la personne viendra-t-elle ?",
            required=False,
            max_length=100,
            placeholder="ex. mardi matin, cette semaine",
        )
        self.case_ref = discord.ui.TextInput(
            label="Votre référence de dossier (facultatif)", required=False, max_length=50
        )
        self.note = discord.ui.TextInput(
            label="Quelques mots pour la structure",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
            placeholder="Pas de nom, téléphone, e-mail, n° de sécu ni date de naissance.",
        )
        for item in (self.need, self.when, self.case_ref, self.note):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.send_handover(
            interaction,
            self.structure_id,
            need=self.need.value,
            when=self.when.value,
            case_ref=self.case_ref.value,
            note=self.note.value,
        )


class ReportModal(ReportingModal):
    def __init__(self, cog: DirectoryCog, structure_id: int, locale: str) -> None:
        super().__init__(title=t("directory.report.modal_title", locale)[:45], timeout=900)
        self.cog = cog
        self.structure_id = structure_id
        self.field = discord.ui.TextInput(
            label=t("directory.report.field_label", locale)[:45], required=False, max_length=60
        )
        self.text = discord.ui.TextInput(
            label=t("directory.report.text_label", locale)[:45],
            style=discord.TextStyle.paragraph,
            max_length=1500,
        )
        self.add_item(self.field)
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.send_report(
            interaction, self.structure_id, field=self.field.value, text=self.text.value
        )


class RedirectModal(ReportingModal):
    def __init__(self, cog: DirectoryCog, handover_id: int, locale: str) -> None:
        super().__init__(title=t("directory.handover.redirect_modal_title", locale)[:45])
        self.cog = cog
        self.handover_id = handover_id
        self.answer = discord.ui.TextInput(
            label=t("directory.handover.redirect_label", locale)[:45],
            style=discord.TextStyle.paragraph,
            max_length=1000,
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.answer_handover(
            interaction, self.handover_id, redirect=True, answer=self.answer.value
        )


class EditModal(ReportingModal):
    """The text fields referents change most (a modal holds five)."""

    FIELDS = (
        ("horaires", "Horaires (format OpenStreetMap)", "Mo-Fr 09:00-12:00,14:00-17:00"),
        ("telephone", "Téléphone", "05 56 00 00 00"),
        ("courriels", "Courriel(s), séparés par |", "accueil@exemple.fr"),
        ("prise_rdv", "Lien de prise de rendez-vous", "https://…"),
        ("presentation_resume", "Présentation (280 caractères)", ""),
    )

    def __init__(self, cog: DirectoryCog, structure_id: int, current: dict[str, str]) -> None:
        super().__init__(title="Modifier la fiche", timeout=900)
        self.cog = cog
        self.structure_id = structure_id
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for name, label, placeholder in self.FIELDS:
            field = discord.ui.TextInput(
                label=label,
                default=current.get(name) or None,
                required=False,
                placeholder=placeholder or None,
                max_length=280 if name == "presentation_resume" else 500,
                style=discord.TextStyle.paragraph
                if name == "presentation_resume"
                else discord.TextStyle.short,
            )
            self.inputs[name] = field
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.save_edit(
            interaction,
            self.structure_id,
            {name: field.value.strip() for name, field in self.inputs.items()},
        )


class AddModal(ReportingModal):
    def __init__(self, cog: DirectoryCog) -> None:
        super().__init__(title="Ajouter une structure", timeout=900)
        self.cog = cog
        self.nom = discord.ui.TextInput(label="Nom", max_length=300)
        self.adresse = discord.ui.TextInput(label="Adresse (numéro et voie)", max_length=300)
        self.code_postal = discord.ui.TextInput(
            label="Code postal", min_length=5, max_length=5, placeholder="33700"
        )
        self.commune = discord.ui.TextInput(label="Commune", max_length=200, default="Mérignac")
        self.quartier = discord.ui.TextInput(label="Quartier", required=False, max_length=200)
        for item in (self.nom, self.adresse, self.code_postal, self.commune, self.quartier):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.save_new_structure(
            interaction,
            nom=self.nom.value,
            adresse=self.adresse.value,
            code_postal=self.code_postal.value,
            commune=self.commune.value,
            quartier=self.quartier.value,
        )
