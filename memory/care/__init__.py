"""Bank care: what a person does to a bank, as functions over a `CaseBank`.

Relabel (a person overrules the judge; the visits its run wrote follow), prune (age, Q, count
budget), consolidate near-duplicates, explain a retrieval (`why`), check integrity, export and
import. Each long step takes `on_progress(done, total)` for a progress bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from memory.care.consolidation import (
        Consolidated,
        DuplicateGroup,
        consolidate,
        find_duplicates,
        merge_duplicates,
    )
    from memory.care.explanation import Candidate, VisitEvidence, explain, search_cases
    from memory.care.integrity import IntegrityReport, check_bank
    from memory.care.pruning import (
        Doomed,
        Progress,
        PrunePlan,
        apply_prune,
        own_q,
        plan_prune,
        prune,
    )
    from memory.care.relabelling import Relabelled, relabel
    from memory.care.transfer import ImportReport, export_jsonl, import_jsonl

_HOMES = {
    "Candidate": "memory.care.explanation",
    "Consolidated": "memory.care.consolidation",
    "Doomed": "memory.care.pruning",
    "DuplicateGroup": "memory.care.consolidation",
    "ImportReport": "memory.care.transfer",
    "IntegrityReport": "memory.care.integrity",
    "Progress": "memory.care.pruning",
    "PrunePlan": "memory.care.pruning",
    "Relabelled": "memory.care.relabelling",
    "VisitEvidence": "memory.care.explanation",
    "apply_prune": "memory.care.pruning",
    "check_bank": "memory.care.integrity",
    "consolidate": "memory.care.consolidation",
    "explain": "memory.care.explanation",
    "export_jsonl": "memory.care.transfer",
    "find_duplicates": "memory.care.consolidation",
    "import_jsonl": "memory.care.transfer",
    "merge_duplicates": "memory.care.consolidation",
    "own_q": "memory.care.pruning",
    "plan_prune": "memory.care.pruning",
    "prune": "memory.care.pruning",
    "relabel": "memory.care.relabelling",
    "search_cases": "memory.care.explanation",
}

__all__ = [
    "Candidate",
    "Consolidated",
    "Doomed",
    "DuplicateGroup",
    "ImportReport",
    "IntegrityReport",
    "Progress",
    "PrunePlan",
    "Relabelled",
    "VisitEvidence",
    "apply_prune",
    "check_bank",
    "consolidate",
    "explain",
    "export_jsonl",
    "find_duplicates",
    "import_jsonl",
    "merge_duplicates",
    "own_q",
    "plan_prune",
    "prune",
    "relabel",
    "search_cases",
]

__getattr__ = lazy_exports(__name__, _HOMES)
