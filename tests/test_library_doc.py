"""docs/library.md is the test script: its ``python`` blocks run in order, as written, in an
empty folder, and must take one month from the seal to the agency's reconciled close."""

from __future__ import annotations

import re
from pathlib import Path

import secxfer

DOC = Path(__file__).resolve().parent.parent / "docs" / "library.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_walkthrough_runs_as_written_to_a_reconciled_close(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECXFER_HOME", raising=False)
    monkeypatch.delenv("SECXFER_PASSPHRASE", raising=False)
    found = blocks()
    assert len(found) >= 9, "the walkthrough lost its steps"
    namespace: dict = {}
    for number, block in enumerate(found, 1):
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102 (our own document)

    sealed, opened, closing = namespace["sealed"], namespace["opened"], namespace["closing"]
    assert isinstance(sealed, secxfer.SealResult) and sealed.package.path.name.endswith(".age")
    # every row the agency sealed was opened by exactly its municipality, byte for byte
    assert sum(sum(result.rows) for result in opened.values()) == sum(sealed.rows_sealed) == 60
    assert sorted(opened) == ["mun-131016", "mun-131024", "mun-141003"]
    for result in opened.values():
        assert all(path.is_file() for path in result.files)
    # the replayed open was refused as a replay and wrote nothing
    assert not (tmp_path / "month" / "again").exists()
    printed = capsys.readouterr().out
    assert "PackageReplayError 3" in printed or "ReplayError 3" in printed
    # the close: every municipality confirmed by its own signed receipt
    assert isinstance(closing, secxfer.Reconciliation) and closing.ok
    assert {s.id: s.state for s in closing.municipalities} == dict.fromkeys(sorted(opened), "confirmed")
    assert namespace["view"].complete
    assert namespace["collected"].stored > 0 and not namespace["collected"].rejected
    # a new PC's home would pin the root.json distributed beside the key
    anchor = namespace["anchor"]
    assert anchor.path.name == "root.json" and anchor.data == (tmp_path / "month" / "keys" / "root.json").read_bytes()
    # upkeep: the agency's log verifies, and the confirmed month's package left the medium
    assert namespace["check"].entries > 0 and namespace["check"].checkpoints > 0
    assert namespace["purged"].files > 0 and not sealed.package.path.exists()


def test_the_walkthrough_uses_only_the_public_api_of_secxfer():
    """Beyond the TEST network and sample data, the page calls secxfer.<name> for names in __all__."""
    used = set(re.findall(r"\bsecxfer\.([A-Za-z_]+)\b", "\n".join(blocks())))
    assert used - {"testing", "domain"} <= set(secxfer.__all__), used - set(secxfer.__all__)
    assert {"seal", "relay", "open_package", "collect_receipts", "forward_receipts", "reconcile"} <= used
