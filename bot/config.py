"""Settings from the environment (``AIGUILLAGE_*``, ``DISCORD_TOKEN``) and an optional ``.env``.

A wrong or missing setting stops the program with one clear message naming the variable
(:class:`ConfigError`), never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "AIGUILLAGE_"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "AIGUILLAGE_DISCORD_TOKEN")
    )
    data_dir: Path = Path("data")
    database_url: str | None = None
    timezone: str = "Europe/Paris"
    web_host: str = "0.0.0.0"
    web_port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Overdue deliveries found at startup are still sent within this grace, else skipped.
    delivery_grace_minutes: int = Field(default=360, ge=0)
    delivery_max_attempts: int = Field(default=8, ge=1)
    # Name of the role that makes a member a coordinator (Manage Server also does).
    coordinator_role_name: str = "Coordination"
    # Sync the command tree to this guild only (fast for development); empty = global.
    dev_guild_id: int | None = None
    max_upload_mb: int = Field(default=25, ge=1, le=500)
    # Demo only: seed the demo network's directory from this file instead of the sample.
    demo_directory_file: Path | None = None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"URL SQLAlchemy illisible ({exc})") from exc
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(
                "pilote non pris en charge : utilisez sqlite+aiosqlite:///chemin.db "
                "ou postgresql+asyncpg://utilisateur@hôte/base"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("fuseau horaire inconnu (exemple : Europe/Paris)") from exc
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'aiguillage.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "files"

    def require_token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError(
                "DISCORD_TOKEN manquant : définissez la variable d'environnement DISCORD_TOKEN "
                "(ou ajoutez-la au fichier .env) avec le jeton du bot, visible dans le portail "
                "développeur Discord (Bot → Reset Token). Pour essayer sans jeton : aiguillage demo"
            )
        return self.discord_token.get_secret_value().strip()


_FIELD_TO_ENV = {
    "discord_token": "DISCORD_TOKEN",
}


def _env_name(field: str) -> str:
    return _FIELD_TO_ENV.get(field, ENV_PREFIX + field.upper())


_MESSAGES = {
    "int_parsing": "doit être un nombre entier",
    "bool_parsing": "doit valoir true ou false",
    "greater_than_equal": "doit être au moins {ge}",
    "less_than_equal": "doit être au plus {le}",
    "literal_error": "valeurs possibles : {expected}",
    "path_type": "doit être un chemin de fichier",
}


def _french(error: dict) -> str:  # type: ignore[type-arg]
    template = _MESSAGES.get(error["type"])
    if template is None:
        return str(error["msg"]).removeprefix("Value error, ")
    return template.format(**(error.get("ctx") or {}))


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@\s]*@")


def _mask_passwords(text: str) -> str:
    """Error messages quote the value read: never with a database password in it."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise :class:`ConfigError` with the variable's name on any problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            message = _french(error)
            problems.append(
                _mask_passwords(
                    f"{_env_name(field)} : {message} (valeur lue : {error.get('input')!r})"
                )
            )
        raise ConfigError("Configuration invalide.\n  " + "\n  ".join(problems)) from None
