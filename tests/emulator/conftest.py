"""A small plain discord.py bot and fixtures running it against the emulated Discord."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.emulator import EmulatedDiscord
from bot.emulator.state import GUILD_ANNOUNCEMENT, GUILD_CATEGORY, GuildState, MemberState


class FeedbackModal(discord.ui.Modal, title="Votre avis"):
    sujet = discord.ui.TextInput(label="Sujet", custom_id="sujet", max_length=50)
    detail = discord.ui.TextInput(
        label="Détail", custom_id="detail", style=discord.TextStyle.paragraph, required=False
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Merci {interaction.user.display_name} : {self.sujet.value} / {self.detail.value or '-'}",
            ephemeral=True,
        )


class PanelView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Valider", style=discord.ButtonStyle.success, custom_id="panel:ok")
    async def ok(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        button.disabled = True
        await interaction.response.edit_message(
            content=f"Validé par {interaction.user.display_name}", view=self
        )

    @discord.ui.button(label="Donner un avis", custom_id="panel:avis")
    async def avis(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @discord.ui.button(label="Plus tard", custom_id="panel:later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        await interaction.followup.send("Rappel noté", ephemeral=True)

    @discord.ui.select(
        custom_id="panel:ville",
        placeholder="Choisir une ville",
        options=[
            discord.SelectOption(label="Lyon", value="lyon"),
            discord.SelectOption(label="Paris", value="paris"),
        ],
    )
    async def ville(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"Ville choisie : {select.values[0]}")


class AssignView(discord.ui.View):
    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="assign:users", max_values=2)
    async def users(self, interaction: discord.Interaction, select: discord.ui.UserSelect) -> None:
        names = ", ".join(sorted(u.display_name for u in select.values))
        await interaction.response.send_message(f"Membres : {names}", ephemeral=True)

    @discord.ui.select(cls=discord.ui.RoleSelect, custom_id="assign:role")
    async def role(self, interaction: discord.Interaction, select: discord.ui.RoleSelect) -> None:
        await interaction.response.send_message(f"Rôle : {select.values[0].name}", ephemeral=True)


VILLES = ["Lyon", "Lille", "Limoges", "Paris", "Pau"]


class EmuTestBot(commands.Bot):
    """Plain discord.py bot exercising what the emulator must support."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(
            command_prefix="!", intents=intents, guild_ready_timeout=0.05, help_command=None
        )
        self.seen: list[tuple[str, object]] = []
        self.errors: list[BaseException] = []
        self.ready_count = 0
        self.answer_errors = True
        self.resumed = asyncio.Event()
        self.event_seen = asyncio.Event()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every re-IDENTIFY; tests do not need to.
        return None

    async def on_ready(self) -> None:
        self.ready_count += 1

    async def on_resumed(self) -> None:
        self.resumed.set()

    def _note(self, name: str, obj: object) -> None:
        self.seen.append((name, obj))
        self.event_seen.set()

    async def on_member_join(self, member: discord.Member) -> None:
        self._note("member_join", member.id)

    async def on_member_remove(self, member: discord.Member) -> None:
        self._note("member_remove", member.id)

    async def on_guild_role_delete(self, role: discord.Role) -> None:
        self._note("role_delete", role.id)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self._note("channel_delete", channel.id)

    async def on_message(self, message: discord.Message) -> None:
        self._note("message", message.id)

    async def wait_seen(self, name: str, timeout: float = 5.0) -> object:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for n, obj in self.seen:
                if n == name:
                    return obj
            self.event_seen.clear()
            remaining = end - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"bot never saw {name}")
            try:
                await asyncio.wait_for(self.event_seen.wait(), remaining)
            except TimeoutError:
                continue

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.error
        async def on_app_error(interaction: discord.Interaction, error: Exception) -> None:
            self.errors.append(error)
            if self.answer_errors and not interaction.response.is_done():
                await interaction.response.send_message("Une erreur est survenue.", ephemeral=True)

        @tree.command(description="Plante volontairement")
        async def boum(interaction: discord.Interaction) -> None:
            raise RuntimeError("boum")

        @tree.command(description="Répond pong")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

        @tree.command(description="Répète avec options typées")
        @app_commands.describe(texte="Le texte", nombre="Combien")
        async def echo(
            interaction: discord.Interaction,
            texte: str,
            nombre: app_commands.Range[int, 1, 5] = 1,
            membre: discord.Member | None = None,
            role: discord.Role | None = None,
            salon: discord.TextChannel | None = None,
            urgent: bool = False,
        ) -> None:
            parts = [texte * nombre]
            if membre is not None:
                parts.append(f"membre={membre.display_name}")
            if role is not None:
                parts.append(f"role={role.name}")
            if salon is not None:
                parts.append(f"salon={salon.name}")
            if urgent:
                parts.append("URGENT")
            await interaction.response.send_message(" ".join(parts))

        @tree.command(description="Réponse éphémère")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("chut", ephemeral=True)

        @tree.command(description="Réponse différée")
        async def lent(interaction: discord.Interaction, ephemere: bool = False) -> None:
            await interaction.response.defer(thinking=True, ephemeral=ephemere)
            await asyncio.sleep(0.05)
            embed = discord.Embed(title="Résultat", description="Calcul terminé")
            embed.add_field(name="Total", value="42")
            embed.set_footer(text="Aiguillage")
            await interaction.followup.send("fini", embed=embed)
            await interaction.followup.send("et encore une chose")

        @tree.command(description="Panneau avec boutons")
        async def panneau(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Que faire ?", view=PanelView())

        @tree.command(description="Réglages du serveur")
        @app_commands.default_permissions(manage_guild=True)
        async def reglages(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Réglages", ephemeral=True)

        @tree.command(description="Assigner des membres")
        async def assigner(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Qui ?", view=AssignView(), ephemeral=True)

        @tree.command(description="Analyse un fichier")
        async def fichier(interaction: discord.Interaction, document: discord.Attachment) -> None:
            data = await document.read()
            digest = hashlib.sha256(data).hexdigest()[:12]
            await interaction.response.send_message(
                f"{document.filename} {len(data)} octets {digest}",
                file=discord.File(io.BytesIO(data[::-1]), filename="inverse.bin"),
            )

        async def ville_auto(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=v, value=v.lower())
                for v in VILLES
                if v.lower().startswith(current.lower())
            ]

        @tree.command(description="Choisir une ville")
        @app_commands.autocomplete(nom=ville_auto)
        async def ville(interaction: discord.Interaction, nom: str) -> None:
            await interaction.response.send_message(f"Ville : {nom}")

        @tree.command(description="Type d'atelier")
        @app_commands.choices(
            genre=[
                app_commands.Choice(name="Atelier numérique", value="atelier"),
                app_commands.Choice(name="Permanence", value="permanence"),
            ]
        )
        async def atelier(
            interaction: discord.Interaction, genre: app_commands.Choice[str]
        ) -> None:
            await interaction.response.send_message(f"genre={genre.value}")

        admin = app_commands.Group(name="admin", description="Administration")
        roles = app_commands.Group(name="role", description="Rôles", parent=admin)

        @roles.command(name="donner", description="Donne un rôle")
        async def donner(
            interaction: discord.Interaction, membre: discord.Member, role: discord.Role
        ) -> None:
            try:
                await membre.add_roles(role)
            except discord.Forbidden as exc:
                await interaction.response.send_message(f"refusé {exc.code}", ephemeral=True)
                return
            await interaction.response.send_message(f"{role.name} donné à {membre.display_name}")

        @admin.command(name="annonce", description="Publie une annonce")
        async def annonce(
            interaction: discord.Interaction, salon: discord.TextChannel, texte: str
        ) -> None:
            await interaction.response.defer(ephemeral=True)
            msg = await salon.send(texte)
            await interaction.followup.send(f"publié {msg.id}", ephemeral=True)

        tree.add_command(admin)
        await tree.sync()


@dataclass
class World:
    guild: GuildState
    alice: MemberState
    bob: MemberState
    general: object
    annonces: object
    referent: object
    super_role: object


def build_world(emu: EmulatedDiscord) -> World:
    guild = emu.add_guild(name="Réseau médiation")
    cat = guild.add_channel("Accueil", type=GUILD_CATEGORY)
    general = guild.add_channel("général", parent=cat)
    annonces = guild.add_channel("annonces", type=GUILD_ANNOUNCEMENT, parent=cat)
    referent = guild.add_role("Référent")
    super_role = guild.add_role("Super admin", position=len(guild.roles) + 5)
    alice = guild.add_member("Alice", roles=[referent])
    bob = guild.add_member("Bob")
    return World(guild, alice, bob, general, annonces, referent, super_role)


@pytest.fixture(autouse=True)
def no_client_errors(caplog: pytest.LogCaptureFixture):
    """Fail a test when discord.py or the emulator logged an error (a payload it choked on,
    an exception in an event handler, a handler crash in the emulator)."""
    caplog.set_level(logging.WARNING)
    yield
    bad = [
        r
        for r in caplog.get_records("call") + caplog.get_records("setup")
        if r.levelno >= logging.ERROR and r.name.startswith(("discord", "bot.emulator", "aiohttp"))
    ]
    assert not bad, "errors logged: " + "; ".join(f"{r.name}: {r.getMessage()}" for r in bad)


@pytest.fixture
async def emu() -> AsyncIterator[EmulatedDiscord]:
    emulator = EmulatedDiscord(heartbeat_interval=5.0)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
def world(emu: EmulatedDiscord) -> World:
    return build_world(emu)


@pytest.fixture
async def bot(emu: EmulatedDiscord, world: World) -> AsyncIterator[EmuTestBot]:
    async with emu.run_bot(EmuTestBot()) as test_bot:
        yield test_bot
