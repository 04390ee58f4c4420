"""Composition of an issue into Discord messages, within Discord's limits, in order.

Plain data in, plain data out: :func:`compose_issue` turns an :class:`IssueContent` into a
list of :class:`MessagePlan` (content, embeds as dicts, attachments by blob hash). The same
plans are posted by the publication handler and shown by the ephemeral preview, so the
preview is exactly what will be posted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

# Discord's documented limits (https://discord.com/developers/docs/resources/message).
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000  # across every embed of one message
EMBEDS_PER_MESSAGE = 10
ATTACHMENTS_PER_MESSAGE = 10
UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024  # default upload limit of a server without boosts

EMBED_COLOR = 0x1F6FB2
ELLIPSIS = "…"


def discord_len(text: str | None) -> int:
    """Length as Discord counts it, conservatively: UTF-16 code units (an emoji counts 2)."""
    if not text:
        return 0
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose discord_len is at most ``limit``."""
    if discord_len(text) <= limit:
        return text
    # Code points outside the BMP count two: walk once, never cutting one in half.
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return text[:index]
    return text


def truncate(text: str, limit: int) -> str:
    if discord_len(text) <= limit:
        return text
    return _prefix_within(text, limit - 1).rstrip() + ELLIPSIS


_BREAKS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…;:])\s"),
    re.compile(r"\s"),
)


def _best_break(text: str, width: int) -> re.Match[str] | None:
    """The cut to make in ``text[:width]``: the strongest kind of break found in its second
    half (so chunks stay full), else the strongest anywhere, else None."""
    fallback = None
    for pattern in _BREAKS:
        matches = [m for m in pattern.finditer(text, 0, width + 1) if m.start() > 0]
        if not matches:
            continue
        if matches[-1].start() >= width // 2:
            return matches[-1]
        fallback = fallback or matches[-1]
    return fallback


def split_text(text: str, limit: int) -> list[str]:
    """Cut ``text`` into chunks of at most ``limit`` (discord_len), in order.

    Prefers the last paragraph break that fits, then a line break, then the end of a
    sentence, then a space; cuts a word only when one is longer than the limit. Whitespace
    at the cuts is dropped; nothing else is lost or reordered.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        if discord_len(rest) <= limit:
            chunks.append(rest)
            break
        window = _prefix_within(rest, limit)
        cut = _best_break(rest, len(window))
        if cut is None:
            head, rest = window, rest[len(window) :]
        else:
            head, rest = rest[: cut.start()], rest[cut.end() :]
        head = head.rstrip()
        if head:
            chunks.append(head)
        rest = rest.lstrip()
    return chunks


def is_web_url(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


@dataclass(frozen=True)
class Attachment:
    """A file posted with a message; its bytes are in the blob store under ``sha256``."""

    filename: str
    sha256: str
    size: int = 0
    content_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "content_type": self.content_type,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(
            filename=data["filename"],
            sha256=data["sha256"],
            size=int(data.get("size") or 0),
            content_type=data.get("content_type"),
        )


@dataclass(frozen=True)
class ItemContent:
    title: str
    body: str
    link_url: str | None = None
    structure: str | None = None
    image: Attachment | None = None
    item_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "title": self.title,
            "body": self.body,
            "link_url": self.link_url,
            "structure": self.structure,
            "image": self.image.to_dict() if self.image else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemContent:
        return cls(
            item_id=data.get("item_id"),
            title=data["title"],
            body=data["body"],
            link_url=data.get("link_url"),
            structure=data.get("structure"),
            image=Attachment.from_dict(data["image"]) if data.get("image") else None,
        )


@dataclass(frozen=True)
class IssueContent:
    """Everything an issue says, independent of Discord; stored as the archive snapshot."""

    number: int
    heading: str  # "Lettre n° 7 — janvier 2027"
    intro: str = ""
    items: tuple[ItemContent, ...] = ()
    file: Attachment | None = None  # file mode: the PDF made elsewhere
    summary: str = ""
    url: str | None = None  # public web page of the issue
    file_url: str | None = None  # public download of the PDF
    published_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "heading": self.heading,
            "intro": self.intro,
            "items": [item.to_dict() for item in self.items],
            "file": self.file.to_dict() if self.file else None,
            "summary": self.summary,
            "url": self.url,
            "file_url": self.file_url,
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IssueContent:
        published = data.get("published_at")
        return cls(
            number=int(data["number"]),
            heading=data["heading"],
            intro=data.get("intro") or "",
            items=tuple(ItemContent.from_dict(i) for i in data.get("items") or ()),
            file=Attachment.from_dict(data["file"]) if data.get("file") else None,
            summary=data.get("summary") or "",
            url=data.get("url"),
            file_url=data.get("file_url"),
            published_at=datetime.fromisoformat(published) if published else None,
        )


@dataclass(frozen=True)
class Labels:
    """Words the composition adds around the content (the network speaks French)."""

    continued: str = "(suite)"
    structure: str = "Structure"
    link: str = "Lien"
    read_online: str = "Lire en ligne"
    download_pdf: str = "Télécharger la lettre (PDF)"
    summary: str = "Au sommaire"
    empty: str = "Aucun article dans ce numéro."


@dataclass
class EmbedPlan:
    title: str | None = None
    description: str | None = None
    url: str | None = None
    footer: str | None = None
    image: str | None = None  # filename of an attachment of the same message
    fields: list[tuple[str, str]] = field(default_factory=list)
    color: int = EMBED_COLOR

    def size(self) -> int:
        return (
            discord_len(self.title)
            + discord_len(self.description)
            + discord_len(self.footer)
            + sum(discord_len(name) + discord_len(value) for name, value in self.fields)
        )

    def to_dict(self) -> dict[str, Any]:
        """Discord's embed JSON (what ``discord.Embed.from_dict`` and the REST API take)."""
        data: dict[str, Any] = {"type": "rich", "color": self.color}
        if self.title:
            data["title"] = self.title
        if self.description:
            data["description"] = self.description
        if self.url:
            data["url"] = self.url
        if self.footer:
            data["footer"] = {"text": self.footer}
        if self.image:
            data["image"] = {"url": f"attachment://{self.image}"}
        if self.fields:
            data["fields"] = [
                {"name": name, "value": value, "inline": False} for name, value in self.fields
            ]
        return data


@dataclass
class MessagePlan:
    content: str = ""
    embeds: list[EmbedPlan] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    def embeds_size(self) -> int:
        return sum(embed.size() for embed in self.embeds)

    def attachments_bytes(self) -> int:
        return sum(a.size for a in self.attachments)

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "embeds": [embed.to_dict() for embed in self.embeds],
            "attachments": [a.to_dict() for a in self.attachments],
        }


@dataclass(frozen=True)
class Limits:
    content: int = CONTENT_LIMIT
    embed_title: int = EMBED_TITLE_LIMIT
    embed_description: int = EMBED_DESCRIPTION_LIMIT
    embed_fields: int = EMBED_FIELDS_LIMIT
    embed_total: int = EMBED_TOTAL_LIMIT
    embeds_per_message: int = EMBEDS_PER_MESSAGE
    attachments_per_message: int = ATTACHMENTS_PER_MESSAGE
    upload_bytes: int = UPLOAD_LIMIT_BYTES


DEFAULT_LIMITS = Limits()


def limit_violations(plan: MessagePlan, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Every Discord limit the message breaks (empty when it can be posted)."""
    problems: list[str] = []
    if discord_len(plan.content) > limits.content:
        problems.append(f"content {discord_len(plan.content)} > {limits.content}")
    if len(plan.embeds) > limits.embeds_per_message:
        problems.append(f"{len(plan.embeds)} embeds > {limits.embeds_per_message}")
    if plan.embeds_size() > limits.embed_total:
        problems.append(f"embeds total {plan.embeds_size()} > {limits.embed_total}")
    if len(plan.attachments) > limits.attachments_per_message:
        problems.append(f"{len(plan.attachments)} attachments > {limits.attachments_per_message}")
    if len(plan.attachments) > 1 and plan.attachments_bytes() > limits.upload_bytes:
        problems.append(f"attachments {plan.attachments_bytes()} bytes > {limits.upload_bytes}")
    names = [a.filename for a in plan.attachments]
    if len(set(names)) != len(names):
        problems.append("duplicate attachment names")
    for embed in plan.embeds:
        if discord_len(embed.title) > limits.embed_title:
            problems.append("embed title too long")
        if discord_len(embed.description) > limits.embed_description:
            problems.append("embed description too long")
        if len(embed.fields) > limits.embed_fields:
            problems.append("too many fields")
        for name, value in embed.fields:
            if discord_len(name) > FIELD_NAME_LIMIT or discord_len(value) > FIELD_VALUE_LIMIT:
                problems.append("field too long")
        if discord_len(embed.footer) > FOOTER_LIMIT:
            problems.append("footer too long")
        if embed.image and embed.image not in names:
            problems.append(f"embed image {embed.image} not attached to the same message")
        if not (embed.title or embed.description or embed.fields or embed.image):
            problems.append("empty embed")
    if not (plan.content or plan.embeds or plan.attachments):
        problems.append("empty message")
    return problems


def unique_filename(wanted: str, taken: set[str]) -> str:
    """A safe attachment name (Discord uses it in ``attachment://``) not already in ``taken``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", wanted).strip("._") or "fichier"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem[:80]
    candidate = f"{stem}.{ext}" if ext else stem
    counter = 2
    while candidate in taken:
        candidate = f"{stem}-{counter}.{ext}" if ext else f"{stem}-{counter}"
        counter += 1
    taken.add(candidate)
    return candidate


@dataclass
class _Block:
    """Embeds that belong together (one item) and the attachments they show."""

    embeds: list[EmbedPlan]
    attachments: list[list[Attachment]]  # per embed


class _Packer:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.messages: list[MessagePlan] = []

    def _fits(self, plan: MessagePlan, embeds: list[EmbedPlan], files: list[Attachment]) -> bool:
        lim = self.limits
        new_bytes = plan.attachments_bytes() + sum(a.size for a in files)
        return (
            len(plan.embeds) + len(embeds) <= lim.embeds_per_message
            and plan.embeds_size() + sum(e.size() for e in embeds) <= lim.embed_total
            and len(plan.attachments) + len(files) <= lim.attachments_per_message
            and (new_bytes <= lim.upload_bytes or not (plan.attachments or len(files) > 1))
        )

    def _current(self) -> MessagePlan:
        if not self.messages:
            self.messages.append(MessagePlan())
        return self.messages[-1]

    def add_content(self, text: str) -> None:
        self.messages.append(MessagePlan(content=text))

    def add_block(self, block: _Block) -> None:
        files = [a for group in block.attachments for a in group]
        current = self._current()
        if self._fits(current, block.embeds, files):
            current.embeds.extend(block.embeds)
            current.attachments.extend(files)
            return
        fresh = MessagePlan()
        if self._fits(fresh, block.embeds, files):
            self.messages.append(fresh)
            fresh.embeds.extend(block.embeds)
            fresh.attachments.extend(files)
            return
        # Too big for one message: embed by embed, each with the files it shows.
        for embed, group in zip(block.embeds, block.attachments, strict=True):
            current = self._current()
            if not self._fits(current, [embed], group):
                current = MessagePlan()
                self.messages.append(current)
            current.embeds.append(embed)
            current.attachments.extend(group)


def continued_title(title: str, labels: Labels, limits: Limits) -> str:
    """ "<title> (suite)", the title shortened so that the mark always shows."""
    suffix = f" {labels.continued}"
    return truncate(title, limits.embed_title - discord_len(suffix)) + suffix


def _item_block(item: ItemContent, labels: Labels, limits: Limits, taken_names: set[str]) -> _Block:
    title = truncate(item.title.strip() or "—", limits.embed_title)
    url = item.link_url if is_web_url(item.link_url) else None
    fields: list[tuple[str, str]] = []
    if item.structure:
        fields.append((labels.structure, truncate(item.structure, FIELD_VALUE_LIMIT)))
    if url:
        fields.append((labels.link, truncate(url, FIELD_VALUE_LIMIT)))
    fields_size = sum(discord_len(n) + discord_len(v) for n, v in fields)
    # Room left for the text in one embed (title and fields of the same embed count too).
    room = min(limits.embed_description, limits.embed_total - limits.embed_title - fields_size)
    chunks = split_text(item.body, room) or [""]
    embeds: list[EmbedPlan] = []
    attachments: list[list[Attachment]] = []
    for index, chunk in enumerate(chunks):
        embed = EmbedPlan(
            title=title if index == 0 else continued_title(title, labels, limits),
            description=chunk or None,
            url=url if index == 0 else None,
        )
        files: list[Attachment] = []
        if index == 0 and item.image is not None:
            name = unique_filename(item.image.filename, taken_names)
            files.append(
                Attachment(name, item.image.sha256, item.image.size, item.image.content_type)
            )
            embed.image = name
        embeds.append(embed)
        attachments.append(files)
    embeds[-1].fields = fields
    return _Block(embeds, attachments)


def compose_issue(
    issue: IssueContent,
    *,
    mention: str | None = None,
    labels: Labels | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[MessagePlan]:
    """The messages of an issue, in order: heading (with the opt-in role mention and the
    introduction), then each item as embeds with its image attached to the same message.
    In file mode: heading, summary, and the PDF attached (or linked when too heavy)."""
    labels = labels or Labels()
    header = f"📰 **{issue.heading}**"
    if issue.intro.strip():
        header += "\n\n" + issue.intro.strip()
    if issue.url:
        header += f"\n\n🔗 {labels.read_online} : <{issue.url}>"
    mention_line = f"{mention}\n" if mention else ""
    packer = _Packer(limits)
    chunks = split_text(header, limits.content - discord_len(mention_line))
    for index, chunk in enumerate(chunks):
        packer.add_content((mention_line if index == 0 else "") + chunk)

    taken_names: set[str] = set()
    if issue.file is not None:
        summary = issue.summary.strip()
        attach = issue.file.size <= limits.upload_bytes
        if not attach and issue.file_url:
            summary += f"\n\n📎 [{labels.download_pdf}]({issue.file_url})"
        parts = split_text(summary, limits.embed_description) or [""]
        embeds = [
            EmbedPlan(
                title=truncate(issue.heading, limits.embed_title)
                if i == 0
                else continued_title(issue.heading, labels, limits),
                description=part or None,
                url=issue.url if i == 0 else None,
            )
            for i, part in enumerate(parts)
        ]
        files: list[list[Attachment]] = [[] for _ in embeds]
        if attach:
            name = unique_filename(issue.file.filename, taken_names)
            files[0].append(
                Attachment(name, issue.file.sha256, issue.file.size, issue.file.content_type)
            )
        packer.add_block(_Block(embeds, files))
    elif not issue.items:
        packer.add_block(_Block([EmbedPlan(description=labels.empty)], [[]]))
    for item in issue.items if issue.file is None else ():
        packer.add_block(_item_block(item, labels, limits, taken_names))
    return packer.messages
