"""Per-guild settings chosen by coordinators (channels, roles, delays...).

Capabilities declare their keys once (:meth:`GuildConfig.declare`) so `/config` can list,
validate and explain them; values live in the ``guild_settings`` table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, select

from db.engine import Database
from db.models import GuildSetting

SettingKind = Literal["channel", "channels", "role", "roles", "int", "text", "bool"]


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: SettingKind
    label_fr: str
    default: Any = None
    label_en: str | None = None


class GuildConfig:
    CACHE_SECONDS = 5.0

    def __init__(self, db: Database) -> None:
        self.db = db
        self.specs: dict[str, SettingSpec] = {}
        self._cache: dict[tuple[int, str], tuple[float, Any]] = {}

    def declare(
        self,
        key: str,
        kind: SettingKind,
        label_fr: str,
        default: Any = None,
        label_en: str | None = None,
    ) -> SettingSpec:
        spec = SettingSpec(key, kind, label_fr, default, label_en)
        self.specs[key] = spec
        return spec

    def _default(self, key: str, default: Any) -> Any:
        if default is not None:
            return default
        spec = self.specs.get(key)
        return spec.default if spec else None

    async def get(
        self, guild_id: int, key: str, default: Any = None, *, session: Any = None
    ) -> Any:
        """``session``: the caller's, when it holds one (a second pooled connection opened
        inside a transaction can wait forever when every connection is held that way)."""
        cached = self._cache.get((guild_id, key))
        if cached and time.monotonic() - cached[0] < self.CACHE_SECONDS:
            value = cached[1]
        else:
            query = select(GuildSetting.value).where(
                GuildSetting.guild_id == guild_id, GuildSetting.key == key
            )
            if session is not None:
                value = await session.scalar(query)
            else:
                async with self.db.session() as own:
                    value = await own.scalar(query)
            self._cache[(guild_id, key)] = (time.monotonic(), value)
        return self._default(key, default) if value is None else value

    async def set(self, guild_id: int, key: str, value: Any, by: int | None = None) -> None:
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(GuildSetting).where(
                    GuildSetting.guild_id == guild_id, GuildSetting.key == key
                )
            )
            if row is None:
                session.add(GuildSetting(guild_id=guild_id, key=key, value=value, updated_by=by))
            else:
                row.value = value
                row.updated_by = by
        self._cache.pop((guild_id, key), None)

    async def unset(self, guild_id: int, key: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                delete(GuildSetting).where(
                    GuildSetting.guild_id == guild_id, GuildSetting.key == key
                )
            )
        self._cache.pop((guild_id, key), None)

    async def all(self, guild_id: int) -> dict[str, Any]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(GuildSetting.key, GuildSetting.value).where(
                        GuildSetting.guild_id == guild_id
                    )
                )
            ).all()
        values = {spec.key: spec.default for spec in self.specs.values()}
        values.update({key: value for key, value in rows})
        return values


def declare_core_settings(config: GuildConfig) -> None:
    """Keys every capability may rely on."""
    config.declare(
        "role.coordinator", "role", "Rôle des coordinateurs", label_en="Coordinators' role"
    )
    config.declare(
        "role.member", "role", "Rôle « Membre du réseau »", label_en="Network member role"
    )
    config.declare("role.referent", "role", "Rôle « Référent·e »", label_en="Referent role")
    config.declare(
        "role.charter", "role", "Rôle « Charte acceptée »", label_en="Charter accepted role"
    )
    config.declare("channel.audit", "channel", "Salon du journal d'audit", label_en="Audit channel")
    config.declare(
        "channel.coordination",
        "channel",
        "Salon de la coordination",
        label_en="Coordination channel",
    )
    config.declare(
        "channel.announcements",
        "channels",
        "Salons d'annonces",
        default=[],
        label_en="Announcement channels",
    )
    config.declare("channel.onboarding", "channel", "Salon d'accueil", label_en="Welcome channel")
    config.declare(
        "channel.newsletter",
        "channel",
        "Salon de la lettre d'information",
        label_en="Newsletter channel",
    )
    config.declare(
        "channel.events", "channel", "Salon des événements et du COPIL", label_en="Events channel"
    )
    config.declare(
        "channel.documents", "channel", "Salon des documents", label_en="Documents channel"
    )
