"""Structured mutations of the container inside a package, for the mutation campaign.

What someone who can decrypt and re-encrypt to the right recipient could change:
manifest fields, envelopes and signatures, manifests swapped between packages and
deliveries, leaves, rows, entry framing and order, the carried trust bundle. The
caller encrypts each result to the package's own recipient, so only the content is
wrong, and every one must be refused with an IntegrityError subclass.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mutation import flip
from secxfer.chain import container


def entries_of(plain: bytes) -> list[tuple[str, bytes]]:
    return [(name, bytes(entry.data)) for name, entry in container.parse(plain).items()]


def pack(entries: list[tuple[str, bytes]]) -> bytes:
    return b"".join(bytes(c) for c in container.serialize([(name, [data]) for name, data in entries]))


def raw_entry(name: bytes, data: bytes, declared: int | None = None) -> bytes:
    """An entry with any name bytes and any declared length (the serializer refuses both)."""
    return struct.pack(">H", len(name)) + name + struct.pack(">Q", len(data) if declared is None else declared) + data


def _replace(entries, name, data):
    return [(n, data if n == name else d) for n, d in entries]


def _mutate_value(value):
    """Another value of the same JSON type (for field edits)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        last = value[-1:] or "a"
        return value[:-1] + ("B" if last == "A" else "A")
    if isinstance(value, list):
        return value[:-1] if value else ["x"]
    if value is None:
        return {}
    return None


def _field_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,)
            if isinstance(item, (dict, list)):
                yield from _field_paths(item, path + (key,))
    elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        yield from _field_paths(value[0], path + (0,))


def _with(value, path, new):
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = _with(value[path[0]], path[1:], new)
    return copy


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _envelope(raw: bytes) -> dict:
    return json.loads(raw)


def _encode(doc: dict) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def manifest_edits(envelope: bytes, forge: Callable[[bytes], bytes]) -> Iterator[tuple[str, str, bytes]]:
    """(kind, label, new envelope): every field edited under the old signature, and re-signed
    by ``forge`` (a key that is not the sender's)."""
    doc = _envelope(envelope)
    payload = json.loads(base64.b64decode(doc["payload"]))
    for path in _field_paths(payload):
        edited = _encode(_with(payload, path, _mutate_value(_get(payload, path))))
        where = ".".join(map(str, path))
        yield "manifest field edit", where, _encode({**doc, "payload": base64.b64encode(edited).decode()})
        yield "manifest forged signature", where, forge(edited)
    signature = doc["signatures"][0]
    flipped = base64.b64decode(signature["sig"])
    flipped = bytes([flipped[0] ^ 1]) + flipped[1:]
    yield "manifest envelope", "no signature", _encode({**doc, "signatures": []})
    yield "manifest envelope", "signature twice", _encode({**doc, "signatures": [signature, signature]})
    yield "manifest envelope", "signature bit flipped", _encode({**doc, "signatures": [{**signature, "sig": base64.b64encode(flipped).decode()}]})
    yield "manifest envelope", "other key id", _encode({**doc, "signatures": [{**signature, "keyid": "0" * 64}]})
    yield "manifest envelope", "other kind", _encode({**doc, "kind": "secxfer/package-outer"})
    yield "manifest envelope", "unknown field", _encode({**doc, "note": "x"})
    yield "manifest envelope", "not JSON", envelope[:-1]


def leaf_edits(leaves_raw: bytes, sibling_raw: bytes) -> Iterator[tuple[str, bytes]]:
    leaves = json.loads(leaves_raw)
    sibling = json.loads(sibling_raw)
    for path in _field_paths(leaves[0]):
        edited = _with(leaves[0], path, _mutate_value(_get(leaves[0], path)))
        yield "leaf." + ".".join(map(str, path)), _encode([edited, *leaves[1:]])
    yield "sibling's leaf instead", _encode(sibling)
    yield "sibling's leaf added", _encode(leaves + sibling)
    yield "leaf twice", _encode(leaves + leaves)
    yield "no leaves", b"[]"


def _rows(data: bytes) -> tuple[bytes, list[bytes]]:
    head, _, body = data.partition(b"\r\n")
    return head + b"\r\n", [r for r in body.split(b"\r\n") if r]


def row_edits(data: bytes, sibling: bytes) -> Iterator[tuple[str, bytes]]:
    head, rows = _rows(data)
    join = lambda rs: head + b"".join(r + b"\r\n" for r in rs)  # noqa: E731
    yield "header byte flipped", flip(data, 3)
    yield "CRLF before the rows made LF", data.replace(b"\r\n", b"\n", 1)
    yield "one byte cut", data[:-1]
    yield "empty", b""
    _, others = _rows(sibling)
    if others:
        yield "sibling's row added", join(rows + others[:1])
    if rows:
        yield "first row byte flipped", flip(data, len(head) + 1)
        yield "last row byte flipped", flip(data, len(data) - 3)
        yield "last row dropped", join(rows[:-1])
        yield "first row twice", join(rows[:1] + rows)
        yield "rows only, header dropped", data[len(head) :]
    if len(rows) > 1:
        yield "first two rows swapped", join([rows[1], rows[0], *rows[2:]])


@dataclass(frozen=True)
class Context:
    """What a container mutation may borrow from: a sibling package (same federation,
    other municipality), the same recipient's package of another delivery, a forging
    signer, and trust bundles of another root and of a forked directory."""

    entries: list[tuple[str, bytes]]
    sibling: list[tuple[str, bytes]]
    other_delivery: list[tuple[str, bytes]]
    forge: Callable[[bytes], bytes]
    foreign_bundle: bytes
    forked_bundle: bytes


EVIL_NAMES = (
    "annex4.csv", "../annex1.csv", "/etc/passwd", "C:annex1.csv", "C:\\annex1.csv", "CON", "NUL.csv",
    "Annex1.csv", "annex1.csv\x00", "ａnnex1.csv", "annex1.csv\u200b", "manifest-8", "trust ", ".", "",
)


def _raw(entries: list[tuple[bytes, bytes, int | None]], tail: bytes = b"\0\0", magic: bytes = container.MAGIC) -> bytes:
    return magic + b"".join(raw_entry(n, d, declared) for n, d, declared in entries) + tail


def container_mutants(ctx: Context) -> Iterator[tuple[str, str, bytes]]:
    """(kind, label, container plaintext) for each content mutation."""
    entries, original = ctx.entries, pack(ctx.entries)
    names = [n for n, _ in entries]
    data = dict(entries)

    def out(kind: str, label: str, plain: bytes):
        return [] if plain == original else [(kind, label, plain)]

    manifests = [n for n in names if n.startswith("manifest-")]
    for name in manifests:
        for kind, label, envelope in manifest_edits(data[name], ctx.forge):
            yield from out(kind, f"{name} {label}", pack(_replace(entries, name, envelope)))
    for source, borrowed in (("sibling", dict(ctx.sibling)), ("other delivery", dict(ctx.other_delivery))):
        for name in names:
            # A carried trust bundle authenticates itself (root signatures, store rules), so
            # another package's valid bundle is not a mutation; the forked one below is.
            if name in borrowed and name != "trust":
                yield from out("swap between packages", f"{name} from the {source}", pack(_replace(entries, name, borrowed[name])))
        chain = [(n, borrowed[n] if n in manifests else d) for n, d in entries]
        yield from out("swap between packages", f"every manifest from the {source}", pack(chain))
    for label, leaves in leaf_edits(data["leaves"], dict(ctx.sibling)["leaves"]):
        yield from out("leaf edit", label, pack(_replace(entries, "leaves", leaves)))
    for annex in ("annex1.csv", "annex2.csv", "annex3.csv"):
        for label, rows in row_edits(data[annex], dict(ctx.sibling)[annex]):
            yield from out("row edit", f"{annex}: {label}", pack(_replace(entries, annex, rows)))
    yield from _framing(entries, out)
    trust = data["trust"]
    for label, bundle in (
        ("compressed bundle byte flipped", flip(trust, len(trust) // 2)),
        ("bundle of another root", ctx.foreign_bundle),
        ("forked directory (same version, other bytes)", ctx.forked_bundle),
        ("empty", b""),
    ):
        yield from out("trust bundle", label, pack(_replace(entries, "trust", bundle)))


def _framing(entries, out) -> Iterator[tuple[str, str, bytes]]:
    raw = [(n.encode(), d, None) for n, d in entries]
    for i in range(len(entries) - 1):
        order = list(entries)
        order[i], order[i + 1] = order[i + 1], order[i]
        yield from out("entries reordered", f"{entries[i][0]} after {entries[i + 1][0]}", pack(order))
    yield from out("entries reordered", "last entry first", pack([entries[-1], *entries[:-1]]))
    for i, (name, _) in enumerate(entries):
        yield from out("entry duplicated", name, _raw(raw[: i + 1] + raw[i:]))
        yield from out("entry removed", name, pack(entries[:i] + entries[i + 1 :]))
        for declared in (2**63, 2**64 - 1, len(entries[i][1]) + 1):
            yield from out("oversized length", f"{name} declared {declared} bytes", _raw(raw[:i] + [(name.encode(), entries[i][1], declared)] + raw[i + 1 :]))
    for name in EVIL_NAMES:
        yield from out("entry name", repr(name), _raw(raw + [(name.encode(), b"x", None)]))
    yield from out("entry name", "name length 65535", _raw(raw + [(b"a" * 65535, b"", None)]))
    yield from out("framing", "bad magic", _raw(raw, magic=b"secxfer-package-v2\n"))
    yield from out("framing", "no end marker", _raw(raw, tail=b""))
    yield from out("framing", "byte after the end marker", _raw(raw, tail=b"\0\0\0"))
    yield from out("framing", "magic only", container.MAGIC)
    yield from out("framing", "empty", b"")
