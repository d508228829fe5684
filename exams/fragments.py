"""Each published question version's exam HTML, made once.

A QuestionVersion and its choices never change after publishing (a correction publishes a new version with a
new id), so what the exam page shows of it (stimulus, stem, the kind's note and each choice's text) is built
once per version and language and kept: in this process's memory first, then in Django's cache (Redis when
REDIS_URL is set, so every web worker shares it), and built from the database only on a miss. The page then
joins strings: per item only its number, area name, the order of its choices and the candidate's answer are
added (exams.presenting). Nothing here carries a key or an explanation (the key exposure policy): the choices'
correctness is never read.

The start reads the choice ids from here too, so drawing 200 questions needs no query for their choices.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils.translation import get_language

from questions.models import QuestionVersion, VersionChoice
from questions.presenting import Labels

CACHE_PREFIX = "exam-fragment:v2"
CACHE_SECONDS = 7 * 24 * 3600  # immutable content: the timeout only lets unused versions leave Redis
LOCAL_MAX = 5000  # versions kept in this process (~2 KB each); past that the memo starts again


@dataclass(frozen=True)
class VersionFragment:
    kind: str
    choice_ids: tuple[int, ...]  # the author's order; an attempt's choice_order is a permutation of these
    choices_html: tuple[str, ...]  # same order as choice_ids
    # From the end of the area name to the choices: stimulus, stem, the fieldset and the kind's note.
    body: str

    @property
    def multiple(self) -> bool:
        return self.kind == "multiple"

    _by_choice: dict[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_choice", dict(zip(self.choice_ids, self.choices_html, strict=True)))

    def choice_html(self, choice_id: int) -> str:
        return self._by_choice[choice_id]


_local: dict[tuple, VersionFragment] = {}


def _key(version_id: int, published_at, language: str) -> str:
    # The publishing moment too: ids alone can repeat where a database is rebuilt (tests, a restored copy)
    # while the shared cache lives on, and a fragment must never be served for another version.
    return f"{CACHE_PREFIX}:{language}:{version_id}:{published_at.timestamp():.6f}"


def version_fragments(versions) -> dict[int, VersionFragment]:
    """Fragments of these versions, (version id, published_at) pairs, in the current language: memory, then
    the cache, then two queries for whatever neither had (then stored in both)."""
    language = get_language() or ""
    # In memory by (language, version, published_at): the shared cache's string keys are made only on a miss.
    local_keys = {vid: (language, vid, published_at) for vid, published_at in versions}
    found = {vid: _local[key] for vid, key in local_keys.items() if key in _local}
    if len(found) < len(local_keys):
        missing = {_key(vid, key[2], language): vid for vid, key in local_keys.items() if vid not in found}
        cached = cache.get_many(list(missing))
        for key, fragment in cached.items():
            found[missing.pop(key)] = fragment
        built = _build(list(missing.values())) if missing else {}
        if built:
            cache.set_many({_key(vid, local_keys[vid][2], language): f for vid, f in built.items()}, CACHE_SECONDS)
        found |= built
        if len(_local) + len(cached) + len(built) > LOCAL_MAX:
            _local.clear()
        _local.update({key: found[vid] for vid, key in local_keys.items() if key not in _local})
    return found


def _build(version_ids: list[int]) -> dict[int, VersionFragment]:
    labels = Labels.current()
    choices: dict[int, list[tuple[int, str]]] = {vid: [] for vid in version_ids}
    for vid, cid, html in (
        VersionChoice.objects.filter(version_id__in=version_ids)
        .order_by("version_id", "order")
        .values_list("version_id", "pk", "text_html")
    ):
        choices[vid].append((cid, html))
    fragments = {}
    for vid, kind, stem_html, stimulus_html in QuestionVersion.objects.filter(pk__in=version_ids).values_list(
        "pk", "kind", "stem_html", "stimulus_html"
    ):
        stimulus = ""
        if stimulus_html:
            stimulus = f'<section class="stimulus" aria-label="{labels.stimulus}">{stimulus_html}</section>'
        multiple = kind == "multiple"
        note = labels.multiple if multiple else labels.single
        body = (
            f'</span></header>{stimulus}<div class="stem">{stem_html}</div>'
            f'<fieldset class="choices"><legend class="kind-note{"" if multiple else " visually-hidden"}">{note}'
            "</legend>"
        )
        fragments[vid] = VersionFragment(
            kind=kind,
            choice_ids=tuple(cid for cid, _ in choices[vid]),
            choices_html=tuple(html for _, html in choices[vid]),
            body=body,
        )
    return fragments


def clear_local() -> None:
    """Forget this process's memo (tests; the cache keeps its copies)."""
    _local.clear()
