"""The bank in the shapes LangChain and LangGraph users already use.

`CaseBankRetriever` (a LangChain retriever ranked by the policy), `MementoStore` (a LangGraph
`BaseStore`), and the namespaces between them: LangGraph's tuples as bank namespaces, and
per-run templates such as `memento:{user_id}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory.exports import lazy_exports

if TYPE_CHECKING:
    from memory.adapters.langgraph_store import CaseWriteError, MementoStore
    from memory.adapters.retriever import CaseBankRetriever, case_document
    from memory.adapters.store_namespaces import (
        NamespaceTemplateError,
        bank_namespace,
        check_template,
        fill_template,
        store_namespace,
    )
    from memory.adapters.store_values import matches_filter

_HOMES = {
    "CaseBankRetriever": "memory.adapters.retriever",
    "CaseWriteError": "memory.adapters.langgraph_store",
    "MementoStore": "memory.adapters.langgraph_store",
    "NamespaceTemplateError": "memory.adapters.store_namespaces",
    "bank_namespace": "memory.adapters.store_namespaces",
    "case_document": "memory.adapters.retriever",
    "check_template": "memory.adapters.store_namespaces",
    "fill_template": "memory.adapters.store_namespaces",
    "matches_filter": "memory.adapters.store_values",
    "store_namespace": "memory.adapters.store_namespaces",
}

__all__ = [
    "CaseBankRetriever",
    "CaseWriteError",
    "MementoStore",
    "NamespaceTemplateError",
    "bank_namespace",
    "case_document",
    "check_template",
    "fill_template",
    "matches_filter",
    "store_namespace",
]

__getattr__ = lazy_exports(__name__, _HOMES)
