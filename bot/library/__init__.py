"""The document library's engine, used by ``bot.documents`` (no Discord here).

``extraction`` checks files (real type, size, zip bombs, encrypted PDFs) and extracts text;
``textnorm`` folds accents and stems French; ``search_index`` is the full-text index (FTS5
on SQLite, tsvector on PostgreSQL); ``snippets`` picks the highlighted passage; ``fields``
validates titles, tags and links; ``generate`` makes small real files for demos and tests.
"""
