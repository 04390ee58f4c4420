"""The document service on both engines (SQLite FTS5 and PostgreSQL tsvector)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from bot.documents import Actor, DocumentService, correct_words
from bot.library import generate, search_index
from bot.library.errors import LibraryError
from bot.library.fields import tag_key
from bot.library.search_index import SearchFilters
from bot.storage import LocalBlobStore
from db.models.documents import Document, DocumentOrigin, DocumentVersion
from db.models.structures import Structure
from tests.bot.library.corpus import DOCUMENTS, QUERIES

GUILD = 1001
OTHER_GUILD = 2002
OWNER, MEMBER, COORDINATOR, REFERENT = 11, 12, 13, 14


class Clock:
    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.value = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self):  # type: ignore[no-untyped-def]
        self.value += timedelta(seconds=1)
        return self.value


@pytest.fixture
def blobs(tmp_path) -> LocalBlobStore:  # type: ignore[no-untyped-def]
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def service(database, blobs) -> DocumentService:  # type: ignore[no-untyped-def]
    return DocumentService(database, blobs, now=Clock())


def blob_count(store: LocalBlobStore) -> int:
    return sum(1 for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else 0


async def row_counts(service: DocumentService) -> tuple[int, int]:
    async with service.db.session() as s:
        docs = await s.scalar(select(func.count()).select_from(Document))
        versions = await s.scalar(select(func.count()).select_from(DocumentVersion))
    return docs or 0, versions or 0


async def add_corpus(service: DocumentService, guild_id: int = GUILD) -> dict[str, int]:
    ids = {}
    for doc in DOCUMENTS:
        body = str(doc["body"])
        added = await service.add(
            guild_id=guild_id,
            title=str(doc["title"]),
            data=generate.make_markdown(str(doc["title"]), [body]),
            filename="fiche.md",
            category=str(doc["category"]),
            tags=list(doc["tags"]),  # type: ignore[arg-type]
            owner_id=OWNER,
        )
        ids[added.title] = added.id
    return ids


@pytest.mark.parametrize("window", [1000, 20], ids=["all-ranked", "bounded-ranking"])
async def test_relevance_on_a_french_corpus(
    service: DocumentService, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a window of 20 (10 on PostgreSQL), common words goes through the bounded ranking (most recent
    # matches + title/tag matches): the expected documents must still come first.
    monkeypatch.setattr(search_index, "RANK_WINDOW", window)
    await add_corpus(service)
    # Another network's documents must never show up.
    await service.add(
        guild_id=OTHER_GUILD, title="Retraite : autre réseau", link_url="https://example.org/r"
    )
    failures = []
    for query, expected, rank in QUERIES:
        page = await service.search(GUILD, query, per_page=5)
        titles = [hit.document.title for hit in page.hits]
        if expected not in titles[:rank]:
            failures.append(f"{query!r} -> {titles[:3]} ({page.strategy})")
        assert all(hit.document.guild_id == GUILD for hit in page.hits)
    assert len(QUERIES) >= 30 and len(DOCUMENTS) >= 30
    assert not failures, "\n".join(failures)


HOSTILE_QUERIES = [
    '"',
    'caf"',
    "caf*",
    "*",
    "NEAR(caf retraite)",
    "caf NEAR retraite",
    "-caf",
    "caf -retraite",
    "title:caf",
    "body : caf",
    "(caf",
    "caf)",
    "caf AND OR NOT retraite",
    "NOT caf",
    "caf & | ! <-> retraite",
    "'caf'",
    "^caf",
    "caf; DROP TABLE documents; --",
    "\x00caf",
    "日本語 caf",
    "a" * 5000,
]


async def test_query_syntax_never_breaks_the_engine(service: DocumentService) -> None:
    await add_corpus(service)
    for query in HOSTILE_QUERIES:
        try:
            page = await service.search(GUILD, query)
        except LibraryError as err:
            # Nothing searchable left ("*", a lone quote): a clear message, not a crash.
            assert err.key == "library.error.empty_query", query
            continue
        assert isinstance(page.hits, list)
        if "caf" in query:
            assert page.hits, query
    async with service.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Document)) == len(DOCUMENTS)


async def test_filters_by_tag_category_and_structure(service: DocumentService) -> None:
    async with service.db.transaction() as s:
        structure = Structure(
            guild_id=GUILD,
            external_id="ccas-merignac",
            nom="CCAS de Mérignac",
            commune="Mérignac",
            code_postal="33700",
            adresse="1 place",
            date_maj=date(2026, 1, 1),
        )
        s.add(structure)
    await add_corpus(service)
    mine = await service.add(
        guild_id=GUILD,
        title="Permanence CAF du CCAS",
        link_url="https://example.org/ccas",
        tags="caf, CCAS",
        category="annuaire",
        structure_id=structure.id,
    )
    by_tag = await service.search(GUILD, "caf", SearchFilters(tag_key="caf"), per_page=10)
    assert {h.document.title for h in by_tag.hits} == {
        "Procédure CAF — mise à jour de situation",
        "Demander une aide au logement (APL)",
        "Permanence CAF du CCAS",
    }
    # A tag typed with its accents and capitals is the same tag; "santé" alone is not it.
    droits = SearchFilters(tag_key=tag_key("Accès aux DROITS"))
    by_accented_tag = await service.search(GUILD, "santé", droits, per_page=10)
    assert {h.document.title for h in by_accented_tag.hits} == {
        "Créer son espace personnel sur ameli.fr",
        "Obtenir la complémentaire santé solidaire",
    }
    by_category = await service.search(GUILD, "caf", SearchFilters(category="annuaire"))
    assert [h.document.id for h in by_category.hits] == [mine.id]
    by_structure = await service.search(
        GUILD, "permanence", SearchFilters(structure_id=structure.id)
    )
    assert [h.document.id for h in by_structure.hits] == [mine.id]


async def test_pages_follow_each_other_without_overlap(service: DocumentService) -> None:
    for n in range(7):
        await service.add(
            guild_id=GUILD, title=f"Atelier numérique n°{n}", link_url=f"https://ex.org/{n}"
        )
    first = await service.search(GUILD, "atelier", per_page=3, page=0)
    second = await service.search(GUILD, "atelier", per_page=3, page=1)
    third = await service.search(GUILD, "atelier", per_page=3, page=2)
    assert first.has_more and second.has_more and not third.has_more
    ids = [h.document.id for p in (first, second, third) for h in p.hits]
    assert len(ids) == len(set(ids)) == 7
    beyond = await service.search(GUILD, "atelier", per_page=3, page=5)
    assert beyond.hits == [] and beyond.strategy == "all"


async def test_file_is_kept_and_versions_keep_history(service: DocumentService) -> None:
    v1 = generate.make_docx("Charte", ["Version initiale de la charte."])
    document = await service.add(
        guild_id=GUILD,
        title="Charte du réseau",
        data=v1,
        filename="charte.docx",
        category="charte",
        origin=DocumentOrigin.CHARTER,
        owner_id=OWNER,
    )
    assert document.current is not None and document.current.number == 1
    assert await service.get_bytes(document.current) == v1
    assert document.current.mime_type.endswith("wordprocessingml.document")

    v2 = generate.make_pdf("Charte", ["Version révisée après le COPIL de septembre."])
    version = await service.add_version(
        document.id,
        guild_id=GUILD,
        data=v2,
        filename="charte-v2.pdf",
        added_by=OWNER,
        note="Révision",
        actor=Actor(OWNER),
    )
    assert version.number == 2
    reloaded = await service.fetch(GUILD, document.id)
    assert [v.number for v in reloaded.versions] == [1, 2]
    assert await service.get_bytes(reloaded.versions[0]) == v1
    assert await service.get_bytes(reloaded.versions[1]) == v2
    # The index follows the current version.
    assert [h.document.id for h in (await service.search(GUILD, "révisée")).hits] == [document.id]
    assert (await service.search(GUILD, "initiale")).strategy != "all"


async def test_only_the_owner_a_structure_referent_or_a_coordinator_may_replace(
    service: DocumentService, blobs: LocalBlobStore
) -> None:
    document = await service.add(
        guild_id=GUILD, title="Fiche APL", link_url="https://ex.org/apl", owner_id=OWNER
    )
    before = blob_count(blobs)
    with pytest.raises(LibraryError) as err:
        await service.add_version(
            document.id,
            guild_id=GUILD,
            data=b"nouvelle version",
            filename="apl.txt",
            actor=Actor(MEMBER),
        )
    assert err.value.key == "library.error.not_owner"
    assert blob_count(blobs) == before
    assert await row_counts(service) == (1, 1)
    await service.add_version(
        document.id,
        guild_id=GUILD,
        link_url="https://ex.org/apl-2026",
        actor=Actor(COORDINATOR, is_coordinator=True),
    )
    assert (await service.fetch(GUILD, document.id)).link_url == "https://ex.org/apl-2026"


async def test_bad_files_leave_nothing_behind(
    service: DocumentService, blobs: LocalBlobStore
) -> None:
    bad = [
        (b"", "vide.txt"),
        (generate.make_docx("x", ["y"]), "menteur.pdf"),
        (generate.make_pdf("x", ["y"])[:300], "casse.pdf"),
        (b"MZ" + bytes(500), "programme.pdf"),
    ]
    for data, name in bad:
        with pytest.raises(LibraryError):
            await service.add(guild_id=GUILD, title="Essai", data=data, filename=name)
    small = DocumentService(service.db, blobs, max_file_bytes=100)
    with pytest.raises(LibraryError) as err:
        await small.add(guild_id=GUILD, title="Trop gros", data=b"a" * 101, filename="a.txt")
    assert err.value.key == "library.error.too_large"
    assert await row_counts(service) == (0, 0)
    assert blob_count(blobs) == 0


async def test_a_failure_while_writing_removes_the_new_blob(
    service: DocumentService, blobs: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_upsert(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(service.index, "upsert", broken_upsert)
    with pytest.raises(RuntimeError):
        await service.add(guild_id=GUILD, title="Essai", data=b"bonjour", filename="a.txt")
    assert await row_counts(service) == (0, 0)
    assert blob_count(blobs) == 0


async def test_invalid_fields_are_refused(service: DocumentService) -> None:
    cases = [
        ({"title": "ab", "link_url": "https://ex.org"}, "library.error.title_length"),
        ({"title": "Lien", "link_url": "javascript:alert(1)"}, "library.error.bad_link"),
        ({"title": "Lien", "link_url": "https://user:pw@ex.org"}, "library.error.bad_link"),
        ({"title": "Lien", "link_url": "ftp://ex.org/a"}, "library.error.bad_link"),
        ({"title": "Rien"}, "library.error.file_or_link"),
        (
            {"title": "Trop", "link_url": "https://ex.org", "tags": ",".join("abcdefghijk")},
            "library.error.too_many_tags",
        ),
    ]
    for kwargs, key in cases:
        with pytest.raises(LibraryError) as err:
            await service.add(guild_id=GUILD, **kwargs)
        assert err.value.key == key
    assert await row_counts(service) == (0, 0)


async def test_soft_delete_and_restore(service: DocumentService) -> None:
    await add_corpus(service)
    target = (await service.search(GUILD, "passeport")).hits[0].document
    with pytest.raises(LibraryError) as err:
        await service.soft_delete(GUILD, target.id, Actor(MEMBER))
    assert err.value.key == "library.error.not_owner"
    assert (await service.search(GUILD, "passeport")).hits[0].document.id == target.id

    await service.soft_delete(GUILD, target.id, Actor(OWNER))
    assert all(h.document.id != target.id for h in (await service.search(GUILD, "passeport")).hits)
    assert target.id not in [d.id for d in await service.recent(GUILD, 50)]
    assert [d.id for d in await service.deleted(GUILD)] == [target.id]
    with pytest.raises(LibraryError):
        await service.fetch(GUILD, target.id)

    with pytest.raises(LibraryError) as err:
        await service.restore(GUILD, target.id, Actor(OWNER))
    assert err.value.key == "library.error.restore_coordinators_only"
    await service.restore(GUILD, target.id, Actor(COORDINATOR, is_coordinator=True))
    assert (await service.search(GUILD, "passeport")).hits[0].document.id == target.id


async def test_bounded_ranking_keeps_old_title_matches_first(
    service: DocumentService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_index, "RANK_WINDOW", 2)
    oldest = await service.add(
        guild_id=GUILD, title="Guide de la retraite en ligne", link_url="https://ex.org/guide"
    )
    for n in range(5):
        await service.add(
            guild_id=GUILD,
            title=f"Compte rendu d'atelier {n}",
            data=f"Questions sur la retraite et les impôts, séance {n}.".encode(),
            filename=f"cr{n}.txt",
        )
    page = await service.search(GUILD, "retraite", per_page=2)
    assert page.hits[0].document.id == oldest.id
    assert page.has_more
    # Ranked within the window: the two newest body matches come next.
    second = await service.search(GUILD, "retraite", per_page=2, page=1)
    assert [h.document.title for h in second.hits] == ["Compte rendu d'atelier 3"]


async def test_runtime_contract_session_join_hooks_and_get(service: DocumentService) -> None:
    """What other capabilities rely on: join their transaction, hooks, get() -> None."""
    seen: list[tuple[int, int, bool]] = []

    async def hook(session, document, version, data):  # type: ignore[no-untyped-def]
        seen.append((document.id, version.number, data is not None))

    service.on_version(hook)
    with pytest.raises(RuntimeError):
        async with service.db.transaction() as session:
            await service.add(
                guild_id=GUILD,
                title="Lettre d'information n°5",
                data=b"Lettre de mars : ateliers et COPIL.",
                filename="lettre-5.md",
                origin=DocumentOrigin.NEWSLETTER,
                session=session,
            )
            raise RuntimeError("the caller's own step failed")
    assert await row_counts(service) == (0, 0)
    assert (await service.search(GUILD, "ateliers")).hits == []

    async with service.db.transaction() as session:
        letter = await service.add(
            guild_id=GUILD,
            title="Lettre d'information n°5",
            data=b"Lettre de mars : ateliers et COPIL.",
            filename="lettre-5.md",
            origin=DocumentOrigin.NEWSLETTER,
            text="Texte fourni par la lettre : ateliers numériques de printemps.",
            session=session,
        )
        await service.add_version(
            letter,
            data=b"Version corrigee.",
            filename="lettre-5.md",
            added_by=None,
            session=session,
        )
    assert [n for _, n, _ in seen][-2:] == [1, 2]
    fetched = await service.get(GUILD, letter.id)
    assert fetched is not None and len(fetched.versions) == 2
    assert fetched.versions[0].text.startswith("Texte fourni")
    assert await service.get(OTHER_GUILD, letter.id) is None
    assert await service.get(GUILD, 999_999) is None


async def test_typos_snippets_and_tags(service: DocumentService) -> None:
    await add_corpus(service)
    page = await service.search(GUILD, "retraitte")
    assert page.strategy == "corrected"
    assert page.corrected_query == "retraite"
    page = await service.search(GUILD, "hameçonnage")
    assert [seg.text for seg in page.hits[0].snippet if seg.highlighted] == ["hameçonnage"]
    counts = dict(await service.tag_counts(GUILD))
    assert counts["accès aux droits"] == 3
    assert counts["caf"] == 2
    assert (await service.suggest_tags(GUILD, "acces"))[0] == "accès aux droits"
    assert "santé" in await service.suggest_tags(GUILD, "SAN")


def test_two_swapped_letters_are_one_typo() -> None:
    vocabulary = ["cadre", "centre", "impots", "retraite"]
    # Six letters allow one edit: a swap is one, as are a missing or doubled letter.
    assert correct_words(["cnetre", "ipmots", "centr", "retraitte"], vocabulary) == [
        "centre",
        "impots",
        "centre",
        "retraite",
    ]
    # Two swaps in a short word are too far to guess.
    assert correct_words(["ecnrte"], vocabulary) == ["ecnrte"]


async def test_operator_words_and_empty_queries(service: DocumentService) -> None:
    for query in ["", "   ", "le la les", '***"""']:
        with pytest.raises(LibraryError) as err:
            await service.search(GUILD, query)
        assert err.value.key == "library.error.empty_query"
    await service.add(
        guild_id=GUILD,
        title="Near and far : la distance en visio",
        link_url="https://example.org/near",
    )
    page = await service.search(GUILD, "NEAR")
    assert [h.document.title for h in page.hits] == ["Near and far : la distance en visio"]


async def test_structure_referents_and_other_guilds(service: DocumentService) -> None:
    async with service.db.transaction() as s:
        structure = Structure(
            guild_id=GUILD,
            external_id="mdh-beutre",
            nom="Maison des Habitants de Beutre",
            commune="Mérignac",
            code_postal="33700",
            adresse="rue",
            date_maj=date(2026, 1, 1),
        )
        s.add(structure)
    document = await service.add(
        guild_id=GUILD,
        title="Planning MDH",
        link_url="https://ex.org/p",
        owner_id=OWNER,
        structure_id=structure.id,
    )
    await service.soft_delete(
        GUILD, document.id, Actor(REFERENT, structure_ids=frozenset({structure.id}))
    )
    assert (await service.fetch(GUILD, document.id, include_deleted=True)).deleted_by == REFERENT

    other = await service.add(
        guild_id=OTHER_GUILD, title="Secret d'un autre réseau", link_url="https://ex.org/s"
    )
    with pytest.raises(LibraryError):
        await service.fetch(GUILD, other.id)
    with pytest.raises(LibraryError):
        await service.soft_delete(GUILD, other.id, Actor(COORDINATOR, is_coordinator=True))


async def test_share_links(service: DocumentService) -> None:
    doomed = await service.add(guild_id=GUILD, title="Fiche", data=b"texte", filename="f.txt")
    doomed_link = await service.create_share_link(GUILD, doomed.id, created_by=MEMBER)
    await service.soft_delete(GUILD, doomed.id, Actor(COORDINATOR, is_coordinator=True))
    with pytest.raises(LibraryError):
        await service.resolve_share_link(doomed_link.token)

    data = generate.make_pdf("Annuaire", ["Permanences du mardi."])
    document = await service.add(
        guild_id=GUILD, title="Annuaire", data=data, filename="annuaire.pdf"
    )
    link = await service.create_share_link(GUILD, document.id, created_by=MEMBER)
    assert len(link.token) >= 40
    version, served = await service.resolve_share_link(link.token)
    assert served == data and version.filename == "annuaire.pdf"
    with pytest.raises(LibraryError):
        await service.resolve_share_link("devine")
    service.now.value += timedelta(days=8)  # type: ignore[attr-defined]
    with pytest.raises(LibraryError):
        await service.resolve_share_link(link.token)


async def test_one_search_for_every_capability_and_index_housekeeping(
    service: DocumentService,
) -> None:
    minutes = await service.add(
        guild_id=GUILD,
        title="COPIL du 3 avril — compte rendu",
        data=generate.make_docx("COPIL", ["Décision : ouverture d'une permanence à Capeyron."]),
        filename="copil.docx",
        category="compte-rendu",
        origin=DocumentOrigin.MINUTES,
    )
    assert [h.document.id for h in (await service.search(GUILD, "Capeyron")).hits] == [minutes.id]

    # A hard delete (never done by the bot, but possible by hand) leaves no index entry.
    temporary = await service.add(guild_id=GUILD, title="Temporaire", link_url="https://ex.org")
    async with service.db.transaction() as s:
        await s.delete(await s.get(Document, temporary.id))
    async with service.db.session() as s:
        assert await s.scalar(text("SELECT count(*) FROM document_fts")) == 1
        if service.db.dialect == "sqlite":
            assert await s.scalar(text("SELECT count(*) FROM document_fts_head")) == 1

    search_id = await service.save_search(GUILD, MEMBER, "caf", SearchFilters(tag_key="caf"))
    assert await service.load_search(GUILD, search_id) == ("caf", SearchFilters(tag_key="caf"))
    with pytest.raises(LibraryError):
        await service.load_search(OTHER_GUILD, search_id)


async def test_old_saved_searches_are_cleaned_up(
    service: DocumentService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.documents

    monkeypatch.setattr(bot.documents, "SEARCH_CLEANUP_EVERY", 1)
    old = await service.save_search(GUILD, MEMBER, "caf", SearchFilters())
    service.now.value += timedelta(days=31)  # type: ignore[attr-defined]
    recent = await service.save_search(GUILD, MEMBER, "retraite", SearchFilters())
    with pytest.raises(LibraryError) as err:
        await service.load_search(GUILD, old)
    assert err.value.key == "library.error.search_expired"
    assert (await service.load_search(GUILD, recent))[0] == "retraite"


async def test_reindex_rebuilds_a_lost_index(service: DocumentService) -> None:
    await add_corpus(service)
    async with service.db.transaction() as s:
        await s.execute(text("DELETE FROM document_fts"))
    assert (await service.search(GUILD, "passeport")).hits == []
    assert await service.reindex_all() == len(DOCUMENTS)
    hits = (await service.search(GUILD, "passeport")).hits
    assert hits[0].document.title.startswith("Prendre rendez-vous")
