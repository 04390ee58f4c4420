"""Understanding a need written in everyday French ("dossier caf, pas d'ordi", "pole emploie")
and mapping it to services of the national standard, with the reason for each match.

The synonym table is ``config/synonyms.toml`` (editable by operators). Matching is
accent- and case-insensitive (``fold``) and tolerant to typos (rapidfuzz), but short
words (CAF, CV, APL…) must be exact: a fuzzy "cv" would match half the alphabet.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

from db.models.structures import DISPOSITIFS, PUBLICS, SERVICES, fold, vocabulary_mask

DEFAULT_SYNONYMS = Path(__file__).resolve().parents[2] / "config" / "synonyms.toml"

MIN_FUZZY_LENGTH = 4
FUZZY_CUTOFF = 84.0
SECONDARY_WEIGHT = 0.5
# A label or structure type typical of the need (the CAF's own point for "CAF") ranks a
# place higher among places of equal fit and proximity; the first listed counts most.
BONUS_STEPS = (0.2, 0.15, 0.1, 0.05)

# Words that say nothing about the need; dropped before fuzzy matching only (phrases such
# as "pas d'ordinateur" are matched on the full text first).
STOP_WORDS = frozenset(
    [
        "a",
        "ai",
        "au",
        "aux",
        "avec",
        "besoin",
        "c",
        "ce",
        "cette",
        "chez",
        "comment",
        "d",
        "dame",
        "de",
        "des",
        "doit",
        "du",
        "elle",
        "en",
        "est",
        "et",
        "faire",
        "fait",
        "il",
        "ils",
        "j",
        "je",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "m",
        "ma",
        "me",
        "mes",
        "mon",
        "monsieur",
        "madame",
        "mr",
        "mme",
        "n",
        "ne",
        "on",
        "ou",
        "par",
        "personne",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "t",
        "ta",
        "te",
        "tes",
        "ton",
        "un",
        "une",
        "usager",
        "usagere",
        "veut",
        "voudrait",
        "vous",
        "y",
        "aide",
        "aider",
        "aides",
        "besoins",
        "quelqu",
        "quelqun",
        "quelque",
        "chose",
        "jeune",
        "vieux",
        "vieille",
        "monsieur",
        "dossier",
    ]
)


@dataclass(frozen=True)
class Need:
    key: str
    label: str
    terms: tuple[str, ...]  # folded
    services: tuple[str, ...]
    secondary_services: tuple[str, ...] = ()
    dispositifs: tuple[str, ...] = ()
    typologies: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()

    @property
    def services_mask(self) -> int:
        return vocabulary_mask(list(self.services), SERVICES)

    @property
    def secondary_mask(self) -> int:
        return vocabulary_mask(list(self.secondary_services), SERVICES) & ~self.services_mask

    @property
    def dispositifs_mask(self) -> int:
        return vocabulary_mask(list(self.dispositifs), DISPOSITIFS)

    @property
    def any_services_mask(self) -> int:
        return self.services_mask | self.secondary_mask

    def bonus(self, dispositifs_mask: int, typologie: list[str] | tuple[str, ...]) -> float:
        steps = [
            _step(i)
            for i, d in enumerate(self.dispositifs)
            if dispositifs_mask >> DISPOSITIFS.index(d) & 1
        ]
        steps += [_step(i) for i, t in enumerate(self.typologies) if t in typologie]
        return max(steps, default=0.0)


def _step(position: int) -> float:
    return BONUS_STEPS[min(position, len(BONUS_STEPS) - 1)]


@dataclass(frozen=True)
class NeedMatch:
    need: Need
    score: float  # 1.0 exact, less when fuzzy
    matched: str  # the words of the request that matched
    term: str  # the synonym they matched

    @property
    def exact(self) -> bool:
        return self.score >= 1.0


@dataclass
class MatchResult:
    query: str
    matches: list[NeedMatch] = field(default_factory=list)

    @property
    def understood(self) -> bool:
        return bool(self.matches)

    @property
    def wanted_mask(self) -> int:
        """Every service that may answer the request: a place must declare one of them."""
        mask = 0
        for match in self.matches:
            mask |= match.need.services_mask | match.need.secondary_mask
        return mask

    @property
    def publics_mask(self) -> int:
        """Publics the request implies (Parcoursup: young people)."""
        return vocabulary_mask([p for m in self.matches for p in m.need.publics], PUBLICS)

    def coverage(self, services_mask: int) -> float:
        """Service fit: for each need, 1 when the place declares one of its services (0.5
        for a secondary one), times how surely the words matched."""
        total = 0.0
        for match in self.matches:
            if services_mask & match.need.services_mask:
                total += match.score
            elif services_mask & match.need.secondary_mask:
                total += SECONDARY_WEIGHT * match.score
        return round(total, 4)

    def bonus(self, services_mask: int, dispositifs_mask: int, typologie: list[str]) -> float:
        total = 0.0
        for match in self.matches:
            if services_mask & match.need.any_services_mask:
                total += match.need.bonus(dispositifs_mask, typologie)
        return round(total, 4)


class SynonymTable:
    def __init__(self, needs: Iterable[Need]) -> None:
        self.needs = list(needs)
        self.by_key = {need.key: need for need in self.needs}
        # Single words (fuzzy-matchable) and phrases, each pointing back to its need.
        self._words: dict[str, list[Need]] = {}
        self._phrases: dict[str, list[Need]] = {}
        for need in self.needs:
            for term in need.terms:
                target = self._phrases if " " in term else self._words
                target.setdefault(term, []).append(need)
        self._fuzzy_words = [w for w in self._words if len(w) >= MIN_FUZZY_LENGTH]
        self._choices = self._autocomplete_choices()
        # Autocomplete runs on every keystroke: fold the labels once, not per call.
        self._haystacks = [(need, [fold(need.label), *need.terms]) for need in self.needs]
        self._fuzzy_haystack = {
            need.label: " ".join((fold(need.label), *need.terms)) for need in self.needs
        }

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_toml(cls, text: str) -> SynonymTable:
        data = tomllib.loads(text)
        needs = []
        for entry in data.get("besoin", []):
            services = tuple(entry.get("services", []))
            secondary = tuple(entry.get("services_secondaires", []))
            dispositifs = tuple(entry.get("dispositifs", []))
            typologies = tuple(entry.get("typologies", []))
            publics = tuple(entry.get("publics", []))
            unknown = [s for s in (*services, *secondary) if s not in SERVICES]
            unknown += [d for d in dispositifs if d not in DISPOSITIFS]
            unknown += [p for p in publics if p not in PUBLICS]
            if unknown:
                raise ValueError(
                    f"synonymes : besoin « {entry.get('cle')} » : valeur(s) hors du standard "
                    + ", ".join(f"« {u} »" for u in unknown)
                )
            if not services:
                raise ValueError(f"synonymes : besoin « {entry.get('cle')} » sans service")
            terms = {fold(t) for t in entry.get("termes", [])} | {fold(entry["libelle"])}
            needs.append(
                Need(
                    key=entry["cle"],
                    label=entry["libelle"],
                    terms=tuple(sorted(t for t in terms if t)),
                    services=services,
                    secondary_services=secondary,
                    dispositifs=dispositifs,
                    typologies=typologies,
                    publics=publics,
                )
            )
        # Every service of the standard is itself a need, found by its own words.
        for service in SERVICES:
            needs.append(
                Need(
                    key="service:" + fold(service).replace(" ", "_"),
                    label=service,
                    terms=(fold(service),),
                    services=(service,),
                )
            )
        return cls(needs)

    @classmethod
    def from_file(cls, path: str | Path) -> SynonymTable:
        return cls.from_toml(Path(path).read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ matching
    def match(self, text: str) -> MatchResult:
        folded = fold(text)
        result = MatchResult(query=text)
        if not folded:
            return result
        padded = f" {folded} "
        best: dict[str, NeedMatch] = {}

        def keep(need: Need, score: float, matched: str, term: str) -> None:
            current = best.get(need.key)
            if current is None or score > current.score:
                best[need.key] = NeedMatch(need, score, matched, term)

        consumed: set[str] = set()
        for phrase, needs in self._phrases.items():
            if f" {phrase} " in padded:
                for need in needs:
                    keep(need, 1.0, phrase, phrase)
                consumed.update(phrase.split())
        tokens = [t for t in folded.split() if t not in STOP_WORDS]
        for token in tokens:
            if token in consumed:
                continue  # part of a phrase already matched ("impression 3d" is not printing)
            if token in self._words:
                for need in self._words[token]:
                    keep(need, 1.0, token, token)
                continue
            if len(token) < MIN_FUZZY_LENGTH:
                continue
            # Plural or typo: "impot" for "impots", "parcoursupe", "amelie", "pronot".
            hit = process.extractOne(
                token, self._fuzzy_words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if hit:
                word, score, _ = hit
                for need in self._words[word]:
                    keep(need, round(score / 100, 3), token, word)
        self._match_fuzzy_phrases(tokens, keep, best)
        result.matches = sorted(best.values(), key=lambda m: (-m.score, m.need.key))
        # A generic service need adds nothing when a specific need already covers it.
        specific = [m for m in result.matches if not m.need.key.startswith("service:")]
        covered = 0
        for m in specific:
            covered |= m.need.services_mask
        result.matches = [
            m
            for m in result.matches
            if not (m.need.key.startswith("service:") and m.need.services_mask & covered)
        ]
        return result

    def _match_fuzzy_phrases(self, tokens: list[str], keep, best: dict[str, NeedMatch]) -> None:  # type: ignore[no-untyped-def]
        """ "pole emploie", "carte grisse", "pas ordinateur": the meaningful words of a
        phrase, in order and side by side, each exact or with a typo."""
        if not tokens:
            return
        for phrase, needs in self._phrases.items():
            if all(need.key in best and best[need.key].exact for need in needs):
                continue
            words = [w for w in phrase.split() if w not in STOP_WORDS]
            if not words or len(words) > len(tokens):
                continue
            best_score = 0.0
            best_span = ""
            for start in range(len(tokens) - len(words) + 1):
                scores = []
                for offset, word in enumerate(words):
                    token = tokens[start + offset]
                    if token == word:
                        scores.append(100.0)
                    elif min(len(word), len(token)) >= MIN_FUZZY_LENGTH:
                        score = fuzz.ratio(word, token)
                        if score < FUZZY_CUTOFF:
                            break
                        scores.append(score)
                    else:
                        break
                else:
                    if min(scores) > best_score:
                        best_score = min(scores)
                        best_span = " ".join(tokens[start : start + len(words)])
            if best_score and (best_score < 100 or len(words) > 1):
                for need in needs:
                    keep(need, round(best_score / 100, 3), best_span, phrase)

    # ------------------------------------------------------------------ autocomplete
    def _autocomplete_choices(self) -> list[tuple[str, str]]:
        choices = []
        for need in self.needs:
            choices.append((need.label, fold(need.label)))
            for term in need.terms:
                choices.append((term, term))
        return choices

    def suggest(self, partial: str, limit: int = 25) -> list[str]:
        """Suggestions for the `besoin` field: needs and services whose words start with or
        resemble what is being typed."""
        folded = fold(partial)
        if not folded:
            return [need.label for need in self.needs[:limit]]
        labels: list[str] = []
        for need, haystack in self._haystacks:
            if any(h.startswith(folded) or f" {folded}" in f" {h}" for h in haystack):
                labels.append(need.label)
        if len(labels) < limit:
            scored = process.extract(
                folded,
                self._fuzzy_haystack,
                scorer=fuzz.partial_ratio,
                limit=limit,
                score_cutoff=70,
            )
            for _choice, _score, label in scored:
                if label not in labels:
                    labels.append(label)
        return labels[:limit]

    def closest_needs(self, text: str, limit: int = 3) -> list[Need]:
        """For a request that matched nothing: the needs it most resembles."""
        folded = fold(text)
        if not folded:
            return []
        scored = process.extract(
            folded,
            {need.key: " ".join(need.terms) for need in self.needs},
            scorer=fuzz.token_set_ratio,
            limit=limit,
            score_cutoff=40,
        )
        return [self.by_key[key] for _c, _s, key in scored]


@cache
def default_table() -> SynonymTable:
    return SynonymTable.from_file(DEFAULT_SYNONYMS)


def load_table(path: str | Path | None = None) -> SynonymTable:
    """The operators' table when a path is configured, else the one shipped in config/."""
    if path is None:
        return default_table()
    return SynonymTable.from_file(path)
