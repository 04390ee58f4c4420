"""Structures of the network (lieux de médiation numérique) and their referents.

Columns follow the national standard "Schéma de données des lieux de médiation numérique"
v1.0.2 (see ../shared/data): one column per field, multi-valued fields kept as JSON lists
(written back with ``|`` on export). Fields that are ours, not the standard's, are marked.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, GuildScoped, IntPK, Snowflake, Timestamped, UTCDateTime, utcnow


class Structure(Base, GuildScoped, Timestamped):
    __tablename__ = "structures"
    __table_args__ = (
        UniqueConstraint("guild_id", "external_id"),
        Index("ix_structures_guild_archived", "guild_id", "archived_at"),
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

    referents: Mapped[list[Referent]] = relationship(
        back_populates="structure", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def display_name(self) -> str:
        return self.short_name or self.nom


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
