"""Item statistics: each published version's responses on full forms (正答率, discrimination, choice shares)
and the flags that tell authors a question misbehaves. Folded with the cohort aggregates; read by the admin."""

from collections import defaultdict

from common.db import save_rows
from exams.models import AttemptItem
from questions.models import Question, VersionChoice

from .models import ItemStat
from .statistics import ItemAccumulator, suspect_flags


def fold_items(score_by_attempt: dict[int, float]) -> None:
    accumulators: dict[int, ItemAccumulator] = defaultdict(ItemAccumulator)
    choices_of: dict[int, list[int]] = {}
    for attempt_id, version_id, is_correct, selected, order in AttemptItem.objects.filter(
        attempt_id__in=score_by_attempt
    ).values_list("attempt_id", "version_id", "is_correct", "selected", "choice_order"):
        chosen = [order[p] for p in selected if p < len(order)]
        accumulators[version_id].add(bool(is_correct), score_by_attempt[attempt_id], chosen)
        choices_of[version_id] = order
    existing = {s.version_id: s for s in ItemStat.objects.filter(version_id__in=accumulators)}
    keys_of_select_all: dict[int, set[int]] = defaultdict(set)  # select-all versions' keys (see suspect_flags)
    for version_id, choice_id in VersionChoice.objects.filter(
        version_id__in=accumulators, version__kind=Question.Kind.MULTIPLE, is_correct=True
    ).values_list("version_id", "pk"):
        keys_of_select_all[version_id].add(choice_id)
    for version_id, new in accumulators.items():
        stat = existing.get(version_id) or ItemStat(version_id=version_id)
        merged = ItemAccumulator(
            n=stat.responses,
            n_correct=stat.correct,
            sum_total=stat.sum_total,
            sum_total_sq=stat.sum_total_sq,
            sum_total_correct=stat.sum_total_correct,
            picks={int(k): v for k, v in stat.choice_picks.items()},
        )
        merged.merge(new)
        stat.responses, stat.correct = merged.n, merged.n_correct
        stat.sum_total, stat.sum_total_sq, stat.sum_total_correct = (
            merged.sum_total,
            merged.sum_total_sq,
            merged.sum_total_correct,
        )
        stat.choice_picks = {str(k): v for k, v in merged.picks.items()}
        stat.facility, stat.discrimination = merged.facility, merged.discrimination
        shares = {cid: merged.picks.get(cid, 0) / merged.n for cid in choices_of[version_id]}
        keys = keys_of_select_all.get(version_id)
        stat.flags = suspect_flags(stat.facility, stat.discrimination, shares, merged.n, keys=keys)
        existing[version_id] = stat
    save_rows(ItemStat, existing.values())
