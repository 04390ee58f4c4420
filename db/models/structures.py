"""Structures of the network (lieux de médiation numérique) and their referents.

Columns follow the national standard "Schéma de données des lieux de médiation numérique"
v1.0.2 (see ../shared/data): one column per field, multi-valued fields kept as JSON lists
(written back with ``|`` on export). Fields that are ours, not the standard's, are marked.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, GuildScoped, IntPK, Snowflake, Timestamped, UTCDateTime, utcnow

# Closed vocabularies of the standard v1.0.2. The position of a value is its bit in the
# matching ``*_mask`` column, so these tuples are append-only.
SERVICES = (
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
)
PUBLICS = ("Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes")
PRISE_EN_CHARGE = (
    "Surdité",
    "Handicaps moteurs",
    "Handicaps mentaux",
    "Illettrisme",
    "Langues étrangères (anglais)",
    "Langues étrangères (autres)",
    "Déficience visuelle",
)
FRAIS = ("Gratuit", "Gratuit sous condition", "Payant")
MODALITES_ACCES = (
    "Se présenter",
    "Téléphoner",
    "Contacter par mail",
    "Prendre un RDV en ligne",
    "Ce lieu n'accueille pas de public",
    "Envoyer un mail avec une fiche de prescription",
)
MODALITES_ACCOMPAGNEMENT = (
    "En autonomie",
    "Accompagnement individuel",
    "Dans un atelier collectif",
    "À distance",
)
DISPOSITIFS = (
    "Aidants Connect",
    "Bibliothèques numérique de référence",
    "Certification PIX",
    "Conseillers numériques",
    "Emmaüs Connect",
    "France Services",
    "Grande école du numérique",
    "La Croix Rouge",
    "Point d'accès numérique CAF",
    "Promeneurs du net",
    "Relais numérique (Emmaüs Connect)",
)


def vocabulary_mask(values: list[str] | None, vocabulary: tuple[str, ...]) -> int:
    """Bit i set when ``vocabulary[i]`` is among ``values`` (unknown values are ignored)."""
    mask = 0
    for value in values or ():
        if value in vocabulary:
            mask |= 1 << vocabulary.index(value)
    return mask


def fold(text: str | None) -> str:
    """Lower-case, accents removed, punctuation turned into single spaces: the form in
    which names are compared ("Mérignac-Centre" == "merignac centre")."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", " ", stripped).strip()


class Structure(Base, GuildScoped, Timestamped):
    __tablename__ = "structures"
    __table_args__ = (
        UniqueConstraint("guild_id", "external_id"),
        Index("ix_structures_guild_archived", "guild_id", "archived_at"),
        Index("ix_structures_guild_commune_key", "guild_id", "commune_key"),
        # Covering index of `/orienter`'s first phase: every column it filters and sorts
        # on, so that 20,000 places are scanned in the index, not in the wide rows.
        Index(
            "ix_structures_orienter",
            "guild_id",
            "archived_at",
            "services_mask",
            "acces_mask",
            "publics_mask",
            "prise_en_charge_mask",
            "frais_mask",
            "dispositifs_mask",
            "typologie_key",
            "quartier_key",
            "commune_key",
            "latitude",
            "longitude",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    # Standard field `id`: stable identifier, the key of idempotent re-imports.
    external_id: Mapped[str] = mapped_column(String(200))
    pivot: Mapped[str] = mapped_column(String(14), default="00000000000000")
    nom: Mapped[str] = mapped_column(String(300))
    commune: Mapped[str] = mapped_column(String(200))
    code_postal: Mapped[str] = mapped_column(String(5))
    code_insee: Mapped[str | None] = mapped_column(String(5), nullable=True)
    adresse: Mapped[str] = mapped_column(String(300))
    complement_adresse: Mapped[str | None] = mapped_column(String(300), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    typologie: Mapped[list[str]] = mapped_column(JSON, default=list)
    telephone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    courriels: Mapped[list[str]] = mapped_column(JSON, default=list)
    site_web: Mapped[list[str]] = mapped_column(JSON, default=list)
    horaires: Mapped[str | None] = mapped_column(Text, nullable=True)  # OSM opening_hours
    presentation_resume: Mapped[str | None] = mapped_column(Text, nullable=True)
    presentation_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    itinerance: Mapped[list[str]] = mapped_column(JSON, default=list)
    structure_parente: Mapped[str | None] = mapped_column(String(300), nullable=True)
    date_maj: Mapped[date] = mapped_column(Date)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    publics_specifiquement_adresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    prise_en_charge_specifique: Mapped[list[str]] = mapped_column(JSON, default=list)
    frais_a_charge: Mapped[list[str]] = mapped_column(JSON, default=list)
    dispositif_programmes_nationaux: Mapped[list[str]] = mapped_column(JSON, default=list)
    formations_labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    autres_formations_labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    modalites_acces: Mapped[list[str]] = mapped_column(JSON, default=list)
    modalites_accompagnement: Mapped[list[str]] = mapped_column(JSON, default=list)
    fiche_acces_libre: Mapped[str | None] = mapped_column(String(500), nullable=True)
    prise_rdv: Mapped[str | None] = mapped_column(String(500), nullable=True)

    # Ours, not the standard's.
    quartier: Mapped[str | None] = mapped_column(String(200), nullable=True)
    short_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    internal_notes: Mapped[str | None] = mapped_column(Text, nullable=True)  # never published
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    discord_role_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)

    # Derived from the fields above on every write (see ``_refresh_derived``), so that
    # `/orienter` filters with integer arithmetic instead of parsing JSON at 20,000 rows.
    services_mask: Mapped[int] = mapped_column(Integer, default=0)
    publics_mask: Mapped[int] = mapped_column(Integer, default=0)
    prise_en_charge_mask: Mapped[int] = mapped_column(Integer, default=0)
    frais_mask: Mapped[int] = mapped_column(Integer, default=0)
    acces_mask: Mapped[int] = mapped_column(Integer, default=0)
    dispositifs_mask: Mapped[int] = mapped_column(Integer, default=0)
    commune_key: Mapped[str] = mapped_column(String(200), default="")
    quartier_key: Mapped[str] = mapped_column(String(200), default="")
    search_key: Mapped[str] = mapped_column(String(800), default="")
    typologie_key: Mapped[str] = mapped_column(String(200), default="")  # "|CCAS|ASSO|"
    # Freshness: when the referent was last asked to confirm the entry.
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # Loaded only when asked for: capabilities read referents with their own queries, and
    # an eager load would add a query to every structure read (cards, /orienter, imports).
    referents: Mapped[list[Referent]] = relationship(
        back_populates="structure", cascade="all, delete-orphan", lazy="select"
    )

    @property
    def display_name(self) -> str:
        return self.short_name or self.nom

    def refresh_derived(self) -> None:
        self.services_mask = vocabulary_mask(self.services, SERVICES)
        self.publics_mask = vocabulary_mask(self.publics_specifiquement_adresses, PUBLICS)
        self.prise_en_charge_mask = vocabulary_mask(
            self.prise_en_charge_specifique, PRISE_EN_CHARGE
        )
        self.frais_mask = vocabulary_mask(self.frais_a_charge, FRAIS)
        self.acces_mask = vocabulary_mask(self.modalites_acces, MODALITES_ACCES)
        self.dispositifs_mask = vocabulary_mask(self.dispositif_programmes_nationaux, DISPOSITIFS)
        self.typologie_key = ("|" + "|".join(self.typologie or []) + "|")[:200]
        self.commune_key = fold(self.commune)
        self.quartier_key = fold(self.quartier)
        self.search_key = " ".join(
            part
            for part in (fold(self.nom), fold(self.short_name), self.commune_key, self.quartier_key)
            if part
        )[:800]


@event.listens_for(Structure, "before_insert")
@event.listens_for(Structure, "before_update")
def _refresh_derived(_mapper: Any, _connection: Any, target: Structure) -> None:
    # Every writer (import, edits, demo seeds, other capabilities) keeps the masks true.
    target.refresh_derived()


class ReferentRank:
    TITULAR = "titular"
    DEPUTY = "deputy"


class Referent(Base, GuildScoped):
    """A member who represents a structure on the network (the database is the truth)."""

    __tablename__ = "referents"
    __table_args__ = (UniqueConstraint("structure_id", "user_id"),)

    id: Mapped[int] = mapped_column(IntPK, primary_key=True, autoincrement=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Snowflake, index=True)
    rank: Mapped[str] = mapped_column(String(20), default=ReferentRank.TITULAR)
    assigned_by: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    structure: Mapped[Structure] = relationship(back_populates="referents")
