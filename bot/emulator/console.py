"""Demo console: drive the bot through the emulated Discord with a small line language.

Script syntax (one action per line)::

    # a comment (echoed in the transcript)
    @alice /annuaire chercher ville:Lyon public:"jeunes adultes"
    @alice /referent designer membre:@bob role:&Référent salon:#général
    @alice click "Valider"
    @alice select "Lyon"
    @alice submit sujet:"Horaires" detail:"à revoir"
    @alice attach docs/charte.pdf /documents deposer titre:"Charte"
    advance 7d        (also 3h, 30m, 45s, 2w, 1d12h; "j" is accepted for days)

User-facing messages are in French (the demo audience is French-speaking).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.emulator.actors import ATTACHMENT, CHANNEL, MENTIONABLE, ROLE, USER, EmulatorUsageError
from bot.emulator.interactions import EPHEMERAL, InteractionResult, iter_components
from bot.emulator.server import EmulatedDiscord
from bot.emulator.state import DM

AdvanceFn = Callable[[dt.timedelta], Awaitable[None]]

HELP_FR = """\
Commandes disponibles :
  @membre /commande [sous-commande] option:valeur option:"valeur avec espaces"
      membres : @nom   salons : #nom   rôles : &Nom
  @membre click "Libellé du bouton"
  @membre select "Libellé de l'option" ["autre option" ...]
  @membre submit champ:"valeur" ...        (formulaire ouvert par le bot)
  @membre attach CHEMIN /commande ...      (fichier joint à l'option de type pièce jointe)
  advance 7d | 3h | 30m                    (avance l'horloge du bot)
  # commentaire
  aide      affiche cette aide
  quitter   termine la session"""

_DURATION = re.compile(r"(\d+(?:[.,]\d+)?)\s*(w|sem|d|j|h|min|m|s)", re.IGNORECASE)
_UNITS = {
    "w": "weeks",
    "sem": "weeks",
    "d": "days",
    "j": "days",
    "h": "hours",
    "m": "minutes",
    "min": "minutes",
    "s": "seconds",
}


class ConsoleError(Exception):
    """A script line that cannot be executed (message in French)."""


def parse_duration(text: str) -> dt.timedelta:
    """'7d', '3h', '30m', '1d12h', '2j' -> timedelta."""
    compact = text.replace(" ", "")
    pos = 0
    total = dt.timedelta()
    for m in _DURATION.finditer(compact):
        if m.start() != pos:
            break
        total += dt.timedelta(**{_UNITS[m.group(2).lower()]: float(m.group(1).replace(",", "."))})
        pos = m.end()
    if pos != len(compact) or pos == 0:
        raise ConsoleError(f"durée invalide « {text} » (exemples : 7d, 3h, 30m)")
    return total


def tokenize(text: str) -> list[str]:
    """Split on whitespace; double quotes group (apostrophes are ordinary characters)."""
    tokens: list[str] = []
    buf: list[str] = []
    quoted = False
    in_token = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quoted and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
            in_token = True
        elif ch.isspace() and not quoted:
            if in_token:
                tokens.append("".join(buf))
                buf, in_token = [], False
        else:
            buf.append(ch)
            in_token = True
        i += 1
    if quoted:
        raise ConsoleError("guillemet fermant manquant")
    if in_token:
        tokens.append("".join(buf))
    return tokens


_OPTION = re.compile(r"^([^\s:]+):(.*)$", re.DOTALL)


def _split_option(token: str) -> tuple[str, str] | None:
    m = _OPTION.match(token)
    return (m.group(1), m.group(2)) if m else None


class DemoConsole:
    """Executes demo lines against a running :class:`EmulatedDiscord` and prints a transcript."""

    def __init__(
        self,
        emu: EmulatedDiscord,
        guild_id: int,
        members: Mapping[str, int],
        advance: AdvanceFn | None = None,
        *,
        out: Callable[[str], None] = print,
        errors_seen: Callable[[], int] | None = None,
        base_dir: Path | None = None,
        settle: float = 0.1,
    ) -> None:
        self.emu = emu
        self.guild_id = guild_id
        self.members = {k.lstrip("@").lower(): v for k, v in members.items()}
        self._advance = advance
        self._out = out
        self._errors_seen = errors_seen
        self.base_dir = base_dir
        self.settle = settle
        self.transcript: list[str] = []
        self.failures = 0
        self._cursor = len(emu.message_log)

    # ------------------------------------------------------------------ output

    def print(self, text: str = "") -> None:
        text = self._readable_mentions(text)
        for line in text.split("\n"):
            self.transcript.append(line)
            self._out(line)

    def _readable_mentions(self, text: str) -> str:
        """<@id>, <@&id>, <#id> as Discord would show them: @name, @Role, #channel."""

        def user(match: re.Match[str]) -> str:
            return self._member_name(int(match.group(1)))

        def role(match: re.Match[str]) -> str:
            found = self.guild.roles.get(int(match.group(1)))
            return "@" + found.name if found else match.group(0)

        def channel(match: re.Match[str]) -> str:
            return self._channel_label(int(match.group(1)))

        text = re.sub(r"<@!?(\d{15,21})>", user, text)
        text = re.sub(r"<@&(\d{15,21})>", role, text)
        return re.sub(r"<#(\d{15,21})>", channel, text)

    @property
    def guild(self) -> Any:
        return self.emu.guilds[self.guild_id]

    # ------------------------------------------------------------------ lookups

    def member_id(self, name: str) -> int:
        key = name.lstrip("@").lower()
        if key in self.members:
            return self.members[key]
        try:
            return self.guild.member(key).id
        except KeyError:
            known = ", ".join("@" + k for k in sorted(self.members)) or "aucun"
            raise ConsoleError(f"membre inconnu « @{key} » (membres connus : {known})") from None

    def _member_name(self, user_id: int) -> str:
        for name, uid in self.members.items():
            if uid == user_id:
                return "@" + name
        member = self.guild.members.get(user_id)
        return "@" + (member.display_name if member else str(user_id))

    def _channel_label(self, channel_id: int) -> str:
        ch = self.emu._channels.get(channel_id)
        if ch is None:
            return f"#{channel_id}"
        if ch.type == DM and ch.recipient is not None:
            return f"MP → {self._member_name(ch.recipient.id)}"
        return f"#{ch.name}"

    def _command_schema(self, words: list[str]) -> tuple[dict[str, Any], list[str], list[dict]]:
        """Find the command and its subcommand path; return (command, path, leaf options)."""
        name = words[0].lstrip("/")
        try:
            cmd = self.emu.find_command(name, self.guild_id)
        except EmulatorUsageError:
            known = sorted(
                {c["name"] for s in (self.guild_id, None) for c in self.emu.commands.get(s, [])}
            )
            raise ConsoleError(
                f"commande inconnue « /{name} » (commandes : "
                f"{', '.join('/' + k for k in known) or 'aucune'})"
            ) from None
        options = cmd.get("options") or []
        path: list[str] = []
        for word in words[1:]:
            sub = next((o for o in options if o["name"] == word and o["type"] in (1, 2)), None)
            if sub is None:
                subs = [o["name"] for o in options if o["type"] in (1, 2)]
                if subs:
                    raise ConsoleError(
                        f"sous-commande inconnue « {word} » pour /{' '.join([name, *path])} "
                        f"(possibles : {', '.join(subs)})"
                    )
                raise ConsoleError(f"« {word} » : les options s'écrivent nom:valeur")
            path.append(word)
            options = sub.get("options") or []
        subs = [o["name"] for o in options if o["type"] in (1, 2)]
        if subs:
            raise ConsoleError(
                f"/{' '.join([name, *path])} demande une sous-commande : {', '.join(subs)}"
            )
        return cmd, path, options

    def _option_value(self, opt: dict[str, Any], raw: str) -> Any:
        otype = opt["type"]
        guild = self.guild
        try:
            if otype == USER or (otype == MENTIONABLE and not raw.startswith("&")):
                return self.member_id(raw)
            if otype in (ROLE, MENTIONABLE):
                return guild.role(raw.lstrip("&")).id
            if otype == CHANNEL:
                return guild.channel(raw.lstrip("#")).id
        except KeyError:
            kind = {ROLE: "rôle", CHANNEL: "salon"}.get(otype, "rôle")
            raise ConsoleError(f"{kind} inconnu « {raw} » pour l'option {opt['name']}") from None
        return raw

    # ------------------------------------------------------------------ rendering

    def _render_message(self, msg: dict[str, Any], indent: str = "    ") -> list[str]:
        lines: list[str] = []
        if msg.get("content"):
            lines.extend(msg["content"].split("\n"))
        for e in msg.get("embeds", []):
            head = e.get("title") or (e.get("author") or {}).get("name") or "(embed)"
            lines.append(f"┌─ {head}")
            if e.get("description"):
                lines.extend("│ " + x for x in e["description"].split("\n"))
            for f in e.get("fields", []):
                value = f.get("value", "").split("\n")
                lines.append(f"│ {f.get('name', '')} : {value[0]}")
                lines.extend("│   " + x for x in value[1:])
            if (e.get("footer") or {}).get("text"):
                lines.append(f"└─ {e['footer']['text']}")
            else:
                lines.append("└─")
        rows = self._render_components(msg.get("components", []))
        lines.extend(rows)
        for a in msg.get("attachments", []):
            lines.append(f"📎 {a['filename']} ({a.get('size', 0)} octets)")
        if not lines:
            lines.append("(message vide)")
        return [indent + x for x in lines]

    def _render_components(self, components: list[dict[str, Any]]) -> list[str]:
        lines: list[str] = []
        buttons: list[str] = []

        def flush() -> None:
            if buttons:
                lines.append(" ".join(buttons))
                buttons.clear()

        for c in iter_components(components):
            t = c.get("type")
            if t == 1:
                flush()
            elif t == 2:
                label = c.get("label") or (c.get("emoji") or {}).get("name") or "?"
                mark = " (désactivé)" if c.get("disabled") else ""
                link = f" → {c['url']}" if c.get("style") == 5 and c.get("url") else ""
                buttons.append(f"[{label}]{mark}{link}")
            elif t in (3, 5, 6, 7, 8):
                flush()
                placeholder = c.get("placeholder") or "menu"
                if t == 3:
                    opts = " | ".join(o["label"] for o in c.get("options", []))
                else:
                    opts = {5: "membres", 6: "rôles", 7: "membres ou rôles", 8: "salons"}[t]
                lines.append(f"▾ {placeholder} : {opts}")
            elif t == 10 and c.get("content"):
                flush()
                lines.extend(c["content"].split("\n"))
        flush()
        return lines

    def _render_result(self, res: InteractionResult, actor: str) -> set[str]:
        shown: set[str] = set()
        if res.error:
            self.print(f"  ✗ {_fr_error(res.error)}")
        if res.modal is not None:
            fields = []
            for top in res.modal.get("components", []):
                for c in iter_components([top]):
                    if c.get("type") == 4:
                        label = top.get("label") if top.get("type") == 18 else c.get("label")
                        req = ", requis" if c.get("required", True) else ""
                        fields.append(f"{label} ({c['custom_id']}{req})")
            self.print(
                f"  [formulaire « {res.modal.get('title', '')} »] champs : {'; '.join(fields)}"
            )
        if res.choices is not None:
            self.print("  [suggestions] " + " | ".join(c["name"] for c in res.choices))
        if res.message is not None:
            kind = {
                7: "message modifié",
                6: "message",
            }.get(res.callback_type or 0, "réponse")
            eph = " (éphémère, visible par " + actor + " seulement)" if res.ephemeral else ""
            self.print(f"  [{kind}]{eph}")
            self.print("\n".join(self._render_message(res.message)))
            shown.add(res.message["id"])
        elif res.callback_type == 6 and not res.followups:
            self.print("  [accusé de réception, rien de visible]")
        for f in res.followups:
            eph = " (éphémère)" if f["flags"] & EPHEMERAL else ""
            self.print(f"  [suite]{eph}")
            self.print("\n".join(self._render_message(f)))
            shown.add(f["id"])
        return shown

    def _render_new_messages(self, already_shown: set[str]) -> None:
        events = self.emu.message_log[self._cursor :]
        self._cursor = len(self.emu.message_log)
        done: set[tuple[str, str]] = set()
        for ev in events:
            mid = ev.message["id"]
            if mid in already_shown or (ev.kind, mid) in done:
                continue
            if int(ev.message["author"]["id"]) != self.emu.bot_user.id:
                continue
            done.add((ev.kind, mid))
            where = self._channel_label(ev.channel_id)
            if ev.ephemeral_user_id is not None:
                where += f" (éphémère pour {self._member_name(ev.ephemeral_user_id)})"
            if ev.kind == "delete":
                self.print(f"  [{where}] message supprimé")
                continue
            current = self.emu.get_message(int(mid)) or ev.message
            label = "nouveau message" if ev.kind == "create" else "message modifié"
            self.print(f"  [{where}] {label}")
            self.print("\n".join(self._render_message(current)))

    # ------------------------------------------------------------------ execution

    async def execute(self, line: str) -> bool:
        """Run one line; print its transcript; return False when it failed."""
        text = line.strip()
        if not text:
            return True
        if text.startswith("#"):
            self.print(text)
            return True
        self.print(f"> {text}")
        errors_before = self._errors_seen() if self._errors_seen else 0
        ok = True
        shown: set[str] = set()
        try:
            shown = await self._execute(text)
        except ConsoleError as exc:
            self.print(f"  ✗ Erreur : {exc}")
            ok = False
        except EmulatorUsageError as exc:
            self.print(f"  ✗ Erreur : {_fr_error(str(exc))}")
            ok = False
        except OSError as exc:
            self.print(f"  ✗ Erreur : fichier illisible ({exc})")
            ok = False
        except TimeoutError as exc:
            self.print(f"  ✗ Erreur : délai dépassé ({exc})")
            ok = False
        if ok and self._last_result is not None and self._last_result.error:
            ok = False
        self._render_new_messages(shown)
        if self._errors_seen is not None:
            new_errors = self._errors_seen() - errors_before
            if new_errors > 0:
                self.print(f"  ⚠ le bot a journalisé {new_errors} erreur(s) pendant cette ligne")
                ok = False
        if not ok:
            self.failures += 1
        return ok

    _last_result: InteractionResult | None = None

    async def _execute(self, text: str) -> set[str]:
        self._last_result = None
        tokens = tokenize(text)
        head = tokens[0].lower()
        if head in ("advance", "avancer"):
            if len(tokens) != 2:
                raise ConsoleError("usage : advance 7d")
            delta = parse_duration(tokens[1])
            if self._advance is None:
                raise ConsoleError("pas d'horloge réglable dans cette session")
            await self._advance(delta)
            await self.emu.wait_idle(quiet=self.settle)
            self.print(f"  ⏱ horloge avancée de {_fr_delta(delta)}")
            return set()
        if not head.startswith("@"):
            raise ConsoleError(
                f"ligne incomprise « {text} » : commencez par @membre, advance ou # (tapez aide)"
            )
        actor = tokens[0]
        user_id = self.member_id(actor)
        actor = self._member_name(user_id)
        if len(tokens) < 2:
            raise ConsoleError(
                "que doit faire ce membre ? (/commande, click, select, submit, attach)"
            )
        verb = tokens[1]
        rest = tokens[2:]
        if verb.startswith("/"):
            res = await self._slash(user_id, [verb, *rest], attachment=None)
        elif verb.lower() in ("click", "clic", "clique"):
            if len(rest) != 1:
                raise ConsoleError('usage : @membre click "Libellé du bouton"')
            try:
                res = await self.emu.click(self.guild_id, user_id, label=rest[0])
            except EmulatorUsageError as exc:
                if "no button" in str(exc):
                    raise ConsoleError(
                        f"aucun bouton « {rest[0]} » dans les messages visibles par {actor}"
                    ) from None
                raise
        elif verb.lower() in ("select", "choisit", "choisir"):
            if not rest:
                raise ConsoleError('usage : @membre select "Libellé de l\'option"')
            try:
                res = await self.emu.select(self.guild_id, user_id, values=rest)
            except EmulatorUsageError as exc:
                if "no select menu" in str(exc):
                    raise ConsoleError(
                        f"aucun menu proposant {', '.join('« ' + r + ' »' for r in rest)} "
                        f"dans les messages visibles par {actor}"
                    ) from None
                raise
        elif verb.lower() in ("submit", "valide", "envoie"):
            if self.emu.open_modal(user_id) is None:
                raise ConsoleError(f"aucun formulaire ouvert pour {actor}")
            fields = {}
            for tok in rest:
                pair = _split_option(tok)
                if pair is None:
                    raise ConsoleError(f"« {tok} » : les champs s'écrivent nom:valeur")
                fields[pair[0]] = pair[1]
            res = await self.emu.submit_modal(self.guild_id, user_id, fields=fields)
        elif verb.lower() in ("attach", "joint"):
            if len(rest) < 2 or not rest[1].startswith("/"):
                raise ConsoleError("usage : @membre attach CHEMIN /commande ...")
            path = self._resolve_path(rest[0])
            res = await self._slash(user_id, rest[1:], attachment=path)
        else:
            raise ConsoleError(
                f"action inconnue « {verb} » (possibles : /commande, click, select, submit, attach)"
            )
        self._last_result = res
        return self._render_result(res, actor)

    def _resolve_path(self, raw: str) -> Path:
        path = Path(raw).expanduser()
        if not path.is_absolute() and self.base_dir is not None and (self.base_dir / path).exists():
            path = self.base_dir / path
        if not path.is_file():
            raise ConsoleError(f"fichier introuvable « {raw} »")
        return path

    async def _slash(
        self, user_id: int, tokens: list[str], attachment: Path | None
    ) -> InteractionResult:
        words: list[str] = []
        i = 0
        while i < len(tokens) and _split_option(tokens[i]) is None:
            words.append(tokens[i])
            i += 1
        cmd, path, schema = self._command_schema(words)
        by_name = {o["name"]: o for o in schema}
        options: dict[str, Any] = {}
        for tok in tokens[i:]:
            pair = _split_option(tok)
            if pair is None:
                raise ConsoleError(f"« {tok} » : les options s'écrivent nom:valeur")
            name, raw = pair
            opt = by_name.get(name)
            if opt is None:
                known = ", ".join(by_name) or "aucune"
                raise ConsoleError(f"option inconnue « {name} » (options : {known})")
            options[name] = self._option_value(opt, raw)
        # As in Discord's client: typing in an autocompleted option and picking the
        # suggestion whose label matches (needed when the value is an id, not the text).
        for name, raw in list(options.items()):
            opt = by_name[name]
            if opt.get("autocomplete") and isinstance(raw, str):
                options[name] = await self._autocompleted(
                    cmd["name"], path, user_id, options, name, raw
                )
        if attachment is not None:
            target = next((o for o in schema if o["type"] == ATTACHMENT), None)
            if target is None:
                raise ConsoleError(f"/{' '.join(words).lstrip('/')} n'a pas d'option pièce jointe")
            options[target["name"]] = (attachment.name, _read_bytes(attachment))
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in options]
        if missing:
            raise ConsoleError(f"option obligatoire manquante : {', '.join(missing)}")
        return await self.emu.slash(
            self.guild_id,
            user_id,
            cmd["name"],
            options,
            subcommand=path,
            locale=None,  # the member's own Discord language
            settle=self.settle,
        )

    async def _autocompleted(
        self,
        command: str,
        path: list[str],
        user_id: int,
        options: dict[str, Any],
        name: str,
        raw: str,
    ) -> Any:
        others = {k: v for k, v in options.items() if k != name}
        choices = await self.emu.autocomplete(
            self.guild_id, user_id, command, name, raw, options=others, subcommand=path, locale=None
        )
        wanted = raw.casefold()
        for choice in choices:
            if choice["name"].casefold() == wanted or str(choice["value"]).casefold() == wanted:
                return choice["value"]
        if by_type_is_text(choices, raw):
            return raw  # a text option keeps what was typed, as in Discord
        for choice in choices:
            if wanted in choice["name"].casefold():
                return choice["value"]
        if not choices:
            return raw  # free text is allowed: the bot will judge it
        names = ", ".join(f"« {c['name']} »" for c in choices[:5])
        raise ConsoleError(
            f"« {raw} » ne correspond à aucune suggestion pour {name} (suggestions : {names})"
        )

    # ------------------------------------------------------------------ drivers

    async def run_script(self, source: str | Path | Iterable[str]) -> int:
        """Run every line; return 0 when all succeeded and the bot logged no error, else 1."""
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
            path = Path(source)
            if self.base_dir is None:
                self.base_dir = path.parent
            lines: Iterable[str] = _read_lines(path)
        elif isinstance(source, str):
            lines = _split_text(source)
        else:
            lines = source
        for line in lines:
            await self.execute(line)
        if self.failures:
            self.print(f"✗ {self.failures} ligne(s) en échec")
            return 1
        self.print("✓ script terminé sans erreur")
        return 0

    async def interactive(self, prompt: str = "aiguillage> ") -> int:
        """Read lines from stdin (in a thread, the event loop keeps running) until quitter."""
        self.print("Console de démonstration Aiguillage — tapez « aide » pour l'aide.")
        while True:
            try:
                line = await asyncio.to_thread(input, prompt)
            except EOFError:
                break
            word = line.strip().lower()
            if word in ("quitter", "exit", "quit"):
                break
            if word in ("aide", "help", "?"):
                self.print(HELP_FR)
                continue
            await self.execute(line)
        self.print("Au revoir.")
        return 1 if self.failures else 0


async def run_script(
    emu: EmulatedDiscord,
    guild_id: int,
    members: Mapping[str, int],
    advance: AdvanceFn | None,
    path_or_lines: str | Path | Iterable[str],
    *,
    errors_seen: Callable[[], int] | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Non-interactive run; exit code 0 only if every line worked and no bot error was seen."""
    console = DemoConsole(emu, guild_id, members, advance, out=out, errors_seen=errors_seen)
    return await console.run_script(path_or_lines)


def by_type_is_text(choices: list[dict[str, Any]], raw: str) -> bool:
    """Suggestions with text values mean a text option: free input is allowed."""
    return not choices or isinstance(choices[0].get("value"), str)


def _split_text(text: str) -> list[str]:
    return text.splitlines()


def _read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _fr_delta(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    parts = []
    for size, unit in ((86400, "j"), (3600, "h"), (60, "min"), (1, "s")):
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts) or "0 s"


_FR_PATTERNS: list[tuple[str, str]] = [
    (r"the application did not respond within (\S+) s.*", r"le bot n'a pas répondu en \1 s"),
    (
        r"deferred response never completed within (\S+) s",
        r"réponse différée jamais complétée (\1 s)",
    ),
    (r"expected (\d+) followup\(s\), got (\d+)", r"\1 message(s) de suite attendu(s), \2 reçu(s)"),
    (r"the bot has no gateway session.*", "le bot n'est pas connecté"),
    (r"missing required option '(.+)'", r"option obligatoire manquante : \1"),
    (r"unknown option '(.+?)'.*", r"option inconnue « \1 »"),
    (
        r"option (\S+): (.+) is not one of the choices \((.*)\)",
        r"option \1 : \2 n'est pas un choix possible (\3)",
    ),
    (r"option (\S+): must be >= (.+)", r"option \1 : doit être ≥ \2"),
    (r"option (\S+): must be <= (.+)", r"option \1 : doit être ≤ \2"),
    (r"option (\S+): (.+) is not a number", r"option \1 : \2 n'est pas un nombre"),
    (r"option (\S+): (.+) is not a boolean", r"option \1 : \2 n'est pas oui/non"),
    (r"field '(.+)' is required", r"le champ « \1 » est obligatoire"),
    (r"the modal has no field (.+)", r"le formulaire n'a pas de champ \1"),
    (r"button '(.+)' is disabled", r"le bouton « \1 » est désactivé"),
    (r"no option '(.+)' in that menu", r"pas d'option « \1 » dans ce menu"),
    (
        r"this menu takes between (\d+) and (\d+) value\(s\)",
        r"ce menu prend entre \1 et \2 valeur(s)",
    ),
    (r"no modal is open for this user", "aucun formulaire ouvert"),
    (
        r"command /(\S+) is reserved to members with permissions (\d+)",
        r"la commande /\1 est réservée aux membres ayant les permissions \2",
    ),
    (r"command /(\S+) is not available in DMs", r"la commande /\1 n'est pas disponible en MP"),
    (r"the user cannot see #(.+)", r"ce membre ne voit pas le salon #\1"),
    (
        r"the user may not use commands in #(.+)",
        r"ce membre ne peut pas utiliser de commandes dans #\1",
    ),
]


def _fr_error(message: str) -> str:
    for pattern, repl in _FR_PATTERNS:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, repl, message)
    return message
