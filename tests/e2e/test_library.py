"""The library through the real discord.py client and the emulated Discord."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.harness import BotHarness
from bot.library import generate
from db.models import AuditEntry, Document, DocumentVersion

PDF_TEXT = [
    "Se connecter sur caf.fr avec son numéro d'allocataire.",
    "Déclarer un changement de situation familiale ou professionnelle.",
]


@pytest.fixture
async def lib(tmp_path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data", extensions=["cogs.core", "cogs.library"], seed_capabilities=False
    ) as h:
        yield h


async def add(h: BotHarness, person: str, **options):  # type: ignore[no-untyped-def]
    return await h.slash(person, "doc", subcommand="ajouter", options=options)


async def click(h: BotHarness, person: str, result, label: str):  # type: ignore[no-untyped-def]
    return await h.emu.click(h.guild_id, h.person(person), message=result, label=label)


async def count_documents(h: BotHarness) -> tuple[int, int]:
    async with h.bot.db.session() as s:
        docs = await s.scalar(select(func.count()).select_from(Document))
        versions = await s.scalar(select(func.count()).select_from(DocumentVersion))
    return docs or 0, versions or 0


async def test_add_search_download_and_card(lib: BotHarness) -> None:
    pdf = generate.make_pdf("Procédure CAF — mise à jour de situation", PDF_TEXT)
    added = await add(
        lib,
        "membre",
        titre="Procédure CAF — mise à jour de situation",
        fichier=("procedure-caf.pdf", pdf, "application/pdf"),
        tags="caf, accès aux droits",
        categorie="procedure",
        description="Pas à pas pour déclarer un changement",
    )
    assert added.ok, added.error
    assert added.ephemeral
    assert "est dans la bibliothèque" in added.text
    assert "Procédure / démarche" in added.text and "accès aux droits" in added.text
    async with lib.bot.db.session() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "library.add"))
    assert entry is not None and entry.actor_id == lib.person("membre")

    found = await lib.slash(
        "referent", "doc", subcommand="chercher", options={"requete": "situations familiales"}
    )
    assert found.ok, found.error
    assert "Procédure CAF" in found.text
    assert "**familiale**" in found.text  # the highlighted snippet
    received = await click(lib, "referent", found, "Recevoir 1")
    assert received.ok, received.error
    files = [a for m in received.messages for a in m.get("attachments", [])]
    assert len(files) == 1 and files[0]["filename"] == "procedure-caf.pdf"
    assert lib.emu.blob(files[0]) == pdf

    card = await click(lib, "referent", found, "Fiche 1")
    assert "v1" in card.text and "procedure-caf.pdf" in card.text
    # Every message the library posted had mentions switched off.
    bodies = [
        c.json
        for c in lib.emu.calls
        if c.method in ("POST", "PATCH")
        and c.json
        and ("webhooks" in c.path or "callback" in c.path)
    ]
    for body in bodies:
        data = body.get("data", body)
        if "content" in data or "embeds" in data:
            assert data.get("allowed_mentions", {}).get("parse") == [], data


async def test_bad_files_are_refused_in_french_and_nothing_is_stored(lib: BotHarness) -> None:
    docx = generate.make_docx("Charte", ["Texte de la charte."])
    lying = await add(lib, "membre", titre="Charte", fichier=("charte.pdf", docx))
    assert "se présente comme PDF" in lying.text and "document Word" in lying.text

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(generate.make_pdf("Secret", PDF_TEXT))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    encrypted = await add(lib, "membre", titre="Secret", fichier=("secret.pdf", out.getvalue()))
    assert "protégé par un mot de passe" in encrypted.text

    corrupt = await add(
        lib, "membre", titre="Cassé", fichier=("casse.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 40)
    )
    assert "endommagé" in corrupt.text

    neither = await add(lib, "membre", titre="Rien du tout")
    assert "Joignez un fichier" in neither.text
    tricky = await add(lib, "membre", titre="Lien", lien="javascript:alert(1)")
    assert "n'est pas valable" in tricky.text
    assert await count_documents(lib) == (0, 0)


async def test_oversized_file_is_refused_before_download(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with BotHarness(
        tmp_path / "data",
        extensions=["cogs.core", "cogs.library"],
        seed_capabilities=False,
        settings_overrides={"max_upload_mb": 1},
    ) as h:
        big = b"Compte rendu du COPIL.\n" * 60_000
        result = await h.slash(
            "membre",
            "doc",
            subcommand="ajouter",
            options={"titre": "Gros", "fichier": ("gros.txt", big)},
        )
        assert "jusqu'à 1 Mo" in result.text
        assert not [c for c in h.emu.calls if c.method == "GET" and "/attachments/" in c.path]
        assert await count_documents(h) == (0, 0)


async def test_delete_is_refused_to_others_and_restored_by_coordinators(lib: BotHarness) -> None:
    await add(lib, "membre", titre="Annuaire des permanences", lien="https://exemple.fr/annuaire")
    async with lib.bot.db.session() as s:
        document_id = await s.scalar(select(Document.id))
    refused = await lib.slash(
        "conseiller", "doc", subcommand="supprimer", options={"document": document_id}
    )
    assert "Vous ne pouvez pas modifier" in refused.text
    assert (await lib.bot.documents.fetch(lib.guild_id, document_id)).deleted_at is None

    deleted = await lib.slash(
        "membre", "doc", subcommand="supprimer", options={"document": document_id}
    )
    assert "a été retiré" in deleted.text
    gone = await lib.slash("membre", "doc", subcommand="chercher", options={"requete": "annuaire"})
    assert "Aucun document" in gone.text

    not_allowed = await lib.slash(
        "membre", "doc", subcommand="restaurer", options={"document": document_id}
    )
    assert "réservée aux coordinateurs" in not_allowed.text
    choices = await lib.emu.autocomplete(
        lib.guild_id,
        lib.person("coordinateur"),
        "doc",
        focused="document",
        value="annu",
        subcommand="restaurer",
    )
    assert [c["value"] for c in choices] == [document_id]
    restored = await lib.slash(
        "coordinateur", "doc", subcommand="restaurer", options={"document": document_id}
    )
    assert "de nouveau dans la bibliothèque" in restored.text
    back = await lib.slash("membre", "doc", subcommand="chercher", options={"requete": "annuaire"})
    assert "Annuaire des permanences" in back.text


async def test_replace_keeps_history(lib: BotHarness) -> None:
    v1 = generate.make_docx("Charte", ["Première version."])
    await add(lib, "referent", titre="Charte de l'aidant numérique", fichier=("charte.docx", v1))
    async with lib.bot.db.session() as s:
        document_id = await s.scalar(select(Document.id))
    other = await lib.slash(
        "membre",
        "doc",
        subcommand="remplacer",
        options={"document": document_id, "fichier": ("charte.odt", generate.make_odt("x", ["y"]))},
    )
    assert "Vous ne pouvez pas modifier" in other.text
    assert await count_documents(lib) == (1, 1)
    v2 = generate.make_odt("Charte", ["Deuxième version validée en COPIL."])
    replaced = await lib.slash(
        "referent",
        "doc",
        subcommand="remplacer",
        options={
            "document": document_id,
            "fichier": ("charte-v2.odt", v2),
            "note": "Validée en COPIL",
        },
    )
    assert "version 2" in replaced.text
    assert "v2" in replaced.text and "v1" in replaced.text and "Validée en COPIL" in replaced.text
    received = await click(lib, "referent", replaced, "Recevoir le fichier")
    files = [a for m in received.messages for a in m.get("attachments", [])]
    assert lib.emu.blob(files[0]) == v2


async def test_pages_survive_a_restart(lib: BotHarness) -> None:
    for n in range(7):
        await add(
            lib, "membre", titre=f"Atelier numérique séance {n}", lien=f"https://exemple.fr/{n}"
        )
    first = await lib.slash("membre", "doc", subcommand="chercher", options={"requete": "atelier"})
    assert "Page 1" in first.text
    second = await click(lib, "membre", first, "Suivant ▶")
    assert second.ok, second.error
    message = lib.emu.get_message(int(first.messages[0]["id"]))
    assert "Page 2" in "\n".join(e.get("footer", {}).get("text", "") for e in message["embeds"])
    await lib.restart()
    back = await lib.emu.click(
        lib.guild_id, lib.person("membre"), message=message, label="◀ Précédent"
    )
    assert back.ok, back.error
    message = lib.emu.get_message(int(first.messages[0]["id"]))
    assert "Page 1" in "\n".join(e.get("footer", {}).get("text", "") for e in message["embeds"])


async def test_too_big_for_discord_gives_a_private_link(lib: BotHarness) -> None:
    png = generate_png_of_size(11 * 1024 * 1024)
    added = await add(lib, "membre", titre="Affiche du bus numérique", fichier=("affiche.png", png))
    assert added.ok and "est dans la bibliothèque" in added.text
    found = await lib.slash(
        "membre", "doc", subcommand="chercher", options={"requete": "affiche bus"}
    )
    received = await click(lib, "membre", found, "Recevoir 1")
    assert "téléchargez-le ici" in received.text
    url = next(word for word in received.text.split() if word.startswith("http"))
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            assert await response.read() == png
            assert "attachment" in response.headers["Content-Disposition"]
        async with http.get(url.rsplit("/", 1)[0] + "/devine") as response:
            assert response.status == 404


def generate_png_of_size(size: int) -> bytes:
    header = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + b"\x00\x00\x00\x10" * 2
        + b"\x08\x02\x00\x00\x00"
    )
    return header + bytes(size - len(header))


async def test_tags_autocomplete_recent_and_english(lib: BotHarness) -> None:
    await add(lib, "membre", titre="Fiche APL", lien="https://exemple.fr/apl", tags="caf, logement")
    await add(
        lib,
        "membre",
        titre="Fiche CSS",
        lien="https://exemple.fr/css",
        tags="accès aux droits, santé",
    )
    choices = await lib.emu.autocomplete(
        lib.guild_id,
        lib.person("membre"),
        "doc",
        focused="tags",
        value="caf, acc",
        subcommand="ajouter",
        options={"titre": "Fiche"},
    )
    assert "caf, accès aux droits" in [c["value"] for c in choices]
    tags = await lib.slash("membre", "doc", subcommand="tags")
    assert "`caf` × 1" in tags.text
    recent = await lib.slash("membre", "doc", subcommand="recents")
    assert recent.text.index("Fiche CSS") < recent.text.index("Fiche APL")
    english = await lib.slash(
        "english", "doc", subcommand="chercher", options={"requete": "le la"}, locale="en-US"
    )
    assert "Type at least one word" in english.text


async def test_guests_are_refused(lib: BotHarness) -> None:
    result = await lib.slash("nouveau", "doc", subcommand="chercher", options={"requete": "caf"})
    assert "réservée aux membres validés" in result.text


async def test_demo_documents_are_seeded_and_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with BotHarness(tmp_path / "data", extensions=["cogs.core", "cogs.library"]) as h:
        found = await h.slash(
            "membre", "doc", subcommand="chercher", options={"requete": "hameconnage"}
        )
        assert "Grille d'auto-diagnostic PIX" in found.text
        received = await click(h, "membre", found, "Recevoir 1")
        files = [a for m in received.messages for a in m.get("attachments", [])]
        assert files[0]["filename"] == "grille-auto-diagnostic-pix.xlsx"
        copil = await h.slash(
            "membre", "doc", subcommand="chercher", options={"requete": "référent structure"}
        )
        assert "COPIL du 15 septembre" in copil.text
        from cogs.library.demo import seed_demo

        before = await count_documents(h)
        await seed_demo(h.bot, h.guild_id, dict(h.network.people))  # type: ignore[union-attr]
        assert await count_documents(h) == before == (5, 5)
