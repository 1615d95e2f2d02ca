"""The serializer of every checkpointer Memento makes: LangGraph's, with secrets redacted from
everything it writes.

Redacting each node's update (`nodes.output_redaction`) keeps keys out of what nodes write,
but not the graph's input: a task or ground truth holding a key reached the checkpoint in the
`__start__` write. Every value a saver stores passes through its serializer's `dumps_typed`,
input and pending writes included, so redacting there is the one place no saver can get around.

Only what is stored changes: the running graph keeps its channels in memory and never reads
back what it wrote, so a task is planned and judged with its own text. A thread resumed from a
checkpoint reads the stored, redacted values.

The redaction works on the serialized bytes, whatever the value's type: LangGraph's msgpack
spells every string (dict keys included) as contiguous UTF-8, so one search of the bytes tells
whether any form of a secret is there; only then is the value unpacked, every string and byte
string redacted (inside extension types too: pydantic records, messages, dataclasses) and packed
again with the same types. A subclass (not a wrapper), so LangGraph's strict msgpack allow-list
(`with_msgpack_allowlist`) keeps applying to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ormsgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from memory.bank.redaction import redact_text, secrets_in

_OPTIONS = ormsgpack.OPT_NON_STR_KEYS | ormsgpack.OPT_REPLACE_SURROGATES


class RedactingSerializer(JsonPlusSerializer):
    """`JsonPlusSerializer` whose output holds no secret of the environment (see above)."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        kind, data = super().dumps_typed(obj)
        secrets = secrets_in()
        if not secrets or kind not in ("msgpack", "json", "bytes", "bytearray"):
            return kind, data  # "null" holds nothing; "pickle" is never written here
        if _text(data) == redact_text(_text(data), secrets):
            return kind, data
        if kind == "msgpack":
            return kind, redacted_msgpack(data, secrets)
        return kind, _bytes(redact_text(_text(data), secrets))


def redacted_msgpack(data: bytes, secrets: Mapping[str, str]) -> bytes:
    """The msgpack value with secrets redacted from every string, key and byte string in it,
    extension types' payloads (themselves msgpack) included."""

    def ext_hook(code: int, payload: bytes) -> ormsgpack.Ext:
        return ormsgpack.Ext(code, redacted_msgpack(payload, secrets))

    value = ormsgpack.unpackb(data, ext_hook=ext_hook, option=ormsgpack.OPT_NON_STR_KEYS)
    return ormsgpack.packb(_redacted(value, secrets), option=_OPTIONS)


def _redacted(value: Any, secrets: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, bytes):
        return _bytes(redact_text(_text(value), secrets))
    if isinstance(value, list):
        return [_redacted(item, secrets) for item in value]
    if isinstance(value, dict):
        return {_redacted(k, secrets): _redacted(v, secrets) for k, v in value.items()}
    return value


def _text(data: bytes) -> str:
    """Bytes as text, losslessly (bytes that are not UTF-8 become lone surrogates)."""
    return bytes(data).decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
