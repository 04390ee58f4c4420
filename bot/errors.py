"""The one error handler for app commands, views and modals.

The user gets an ephemeral message in their language with a short error id; the log gets
the full details under the same id. Known failures (refusals, bad input, Discord
permissions, database down) get a message that says what to do next.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.i18n import locale_of, t

log = logging.getLogger("aiguillage.errors")


class UserError(Exception):
    """A refusal or bad input, explained to the user with catalogue message ``key``."""

    def __init__(self, key: str, /, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs

    def render(self, locale: str) -> str:
        return t(self.key, locale, **_quoted(self.kwargs))


class PermissionRefused(app_commands.CheckFailure):
    def __init__(self, key: str, /, **kwargs: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


# Discord refuses a message over 2000 characters: an error answer that long is never seen.
MESSAGE_LIMIT = 2000
# What a refusal quotes of the user's own input (a string option may hold 6000 characters).
QUOTE_LIMIT = 200


def _quoted(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Long values the message quotes back are cut, so the explanation stays readable."""
    return {
        key: (
            value[:QUOTE_LIMIT] + "…"
            if isinstance(value, str) and len(value) > QUOTE_LIMIT
            else value
        )
        for key, value in kwargs.items()
    }


def fit_message(content: str) -> str:
    if len(content) <= MESSAGE_LIMIT:
        return content
    return content[: MESSAGE_LIMIT - 1] + "…"


class CheckCrashed(app_commands.AppCommandError):
    """A permission check failed for another reason than a refusal (database down...).

    discord.py sends only ``AppCommandError`` to the error handler: anything else raised by
    a check would leave the user without any answer ("the application did not respond").
    """

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def new_error_id() -> str:
    return secrets.token_hex(3).upper()


def _unwrap(error: BaseException) -> BaseException:
    while isinstance(
        error, app_commands.CommandInvokeError | app_commands.TransformerError | CheckCrashed
    ):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is None or isinstance(error, app_commands.TransformerError):
            break
        error = inner
    return error


# SQLSTATE classes meaning "no usable connection": 08 connection exception, 53 insufficient
# resources (too many connections), 57P operator intervention (shutdown, restart), 3D000
# database missing, 55000 database not accepting connections (ALLOW_CONNECTIONS false).
_UNREACHABLE_PREFIXES = ("08", "53", "57P")
_UNREACHABLE_STATES = ("3D000", "55000")


def database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached right now (not a bad query)."""
    if isinstance(
        error, OperationalError | InterfaceError | ConnectionError | OSError | PoolTimeout
    ):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = str(getattr(error.orig, "sqlstate", None) or "")
    return state.startswith(_UNREACHABLE_PREFIXES) or state in _UNREACHABLE_STATES


def describe_error(error: BaseException, locale: str) -> tuple[str, bool]:
    """(message for the user, whether it is unexpected and must be logged with a trace)."""
    error = _unwrap(error)
    if isinstance(error, UserError | PermissionRefused):
        return t(error.key, locale, **_quoted(error.kwargs)), False
    if isinstance(error, app_commands.NoPrivateMessage):
        return t("core.refused.guild_only", locale), False
    if isinstance(error, app_commands.CommandOnCooldown):
        return t("core.error.cooldown", locale, seconds=round(error.retry_after, 1)), False
    if isinstance(error, app_commands.TransformerError):
        return t("core.error.bad_option", locale, value=str(error.value)[:100]), False
    if isinstance(error, app_commands.CheckFailure):
        return t("core.refused.generic", locale), False
    if isinstance(error, discord.Forbidden):
        return t("core.error.discord_forbidden", locale, detail=error.text[:200]), True
    if isinstance(error, discord.NotFound):
        return t("core.error.discord_not_found", locale), True
    if isinstance(error, discord.DiscordServerError):
        return t("core.error.discord_down", locale), True
    if database_unreachable(error):
        return t("core.error.database_down", locale), True
    return t("core.error.unexpected", locale), True


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    content = fit_message(content)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("could not deliver an error message to interaction %s", interaction.id)


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> str:
    """Answer the user and log; returns the error id."""
    locale = locale_of(interaction)
    message, unexpected = describe_error(error, locale)
    error_id = new_error_id()
    command = getattr(interaction.command, "qualified_name", None) or (
        interaction.data
        and (interaction.data.get("custom_id") if isinstance(interaction.data, dict) else None)
    )
    if unexpected:
        log.error(
            "interaction failed error_id=%s command=%s guild=%s user=%s",
            error_id,
            command,
            interaction.guild_id,
            interaction.user.id if interaction.user else None,
            exc_info=_unwrap(error),
        )
        message = f"{message}\n{t('core.error.id', locale, error_id=error_id)}"
    else:
        log.info("refused command=%s user=%s reason=%s", command, interaction.user.id, message)
    client = interaction.client
    metrics = getattr(client, "metrics", None)
    if metrics is not None:
        metrics.command_errors.labels(kind="unexpected" if unexpected else "refused").inc()
    if unexpected and hasattr(client, "errors_seen"):
        client.errors_seen += 1
    await send_ephemeral(interaction, message)
    return error_id


class ReportingView(discord.ui.View):
    """A view whose errors go through the one error handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_interaction_error(interaction, error)


class ReportingModal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_interaction_error(interaction, error)
