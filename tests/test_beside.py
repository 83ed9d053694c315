"""Two calls over one buffer at once (secxfer.chain.beside): order kept, both done before return, errors raised."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secxfer.chain.beside import Beside


@settings(max_examples=50, deadline=None)
@given(pieces=st.lists(st.binary(max_size=600), max_size=12), min_bytes=st.sampled_from([0, 100, 1 << 30]))
def test_a_hash_taken_beside_the_writes_is_the_hash_of_the_bytes_in_order(pieces, min_bytes):
    beside = Beside(min_bytes=min_bytes)
    digest, written = hashlib.sha256(), bytearray()
    buffer = bytearray(600)
    try:
        for piece in pieces:
            view = memoryview(buffer)[: len(piece)]
            view[:] = piece  # one reused buffer, as the age pipeline hands them over
            assert beside.both(len(view), lambda: digest.update(view), lambda: written.extend(view) or len(view)) == len(view)
    finally:
        beside.close()
    assert digest.digest() == hashlib.sha256(b"".join(pieces)).digest() and bytes(written) == b"".join(pieces)


def test_the_side_call_runs_on_another_thread_and_is_done_before_both_returns():
    beside = Beside(min_bytes=0)
    seen = {}

    def side():
        time.sleep(0.05)
        seen["thread"] = threading.current_thread().name
        seen["done"] = True

    try:
        assert beside.both(1, side, lambda: "here") == "here"
    finally:
        beside.close()
    assert seen == {"thread": seen["thread"], "done": True} and seen["thread"] != threading.current_thread().name


def test_a_small_buffer_never_starts_a_thread():
    beside = Beside(min_bytes=1 << 20)
    names = []
    beside.both(10, lambda: names.append(threading.current_thread().name), lambda: None)
    assert names == [threading.current_thread().name] and beside._pool is None


@pytest.mark.parametrize("min_bytes", [0, 1 << 30])
def test_errors_of_either_call_are_raised_here_after_both_ended(min_bytes):
    beside = Beside(min_bytes=min_bytes)
    ended = []

    def failing_side():
        ended.append("side")
        raise ValueError("side failed")

    def failing_here():
        ended.append("here")
        raise OSError("disk full")

    try:
        with pytest.raises(ValueError, match="side failed"):
            beside.both(1, failing_side, lambda: ended.append("here"))
        assert sorted(ended) == ["here", "side"]
        ended.clear()
        with pytest.raises(OSError, match="disk full"):
            beside.both(1, lambda: ended.append("side"), failing_here)
        # beside, the side call finished before the error left; on this thread alone it never started
        assert sorted(ended) == (["here", "side"] if min_bytes == 0 else ["here"])
    finally:
        beside.close()
