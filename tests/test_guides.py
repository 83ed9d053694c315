"""The operators' guides are the test script: their command blocks run in order on a
small TEST network, each on the PC its ``<!-- pc: ID -->`` mark names, and the month
must close (the agency's reconcile exits 0). A guide that misses a step fails here.

Each PC is a folder holding its key, ``root.json`` and (for relays) ``directory.json``
as distributed, with a home of its own that starts empty. ``/media/usb`` and
``/media/outgoing`` are one folder (the media carried between PCs), ``/media/return``
another. ``<!-- guide: … -->`` marks are where the rest of the country does the same
(the other 46 federations), done here through the library.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from secxfer.domain.sample import generate_sample
from secxfer.testing.network import build_network

DOCS = Path(__file__).resolve().parent.parent / "docs"
PERIOD = "2026-10"
MUNICIPALITY = "131016"
MARK = re.compile(r"^\s*<!--\s*(pc|guide):\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")


@dataclass
class Step:
    pc: str | None
    kind: str  # "sh" or "guide"
    text: str
    line: int


def steps_of(path: Path) -> list[Step]:
    """Every ``sh`` block (with the PC named by the mark before it) and every guide mark, in order."""
    steps: list[Step] = []
    pc: str | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        mark = MARK.match(lines[index])
        fence = FENCE.match(lines[index])
        if mark and mark.group(1) == "pc":
            pc = mark.group(2)
        elif mark:
            steps.append(Step(pc=None, kind="guide", text=mark.group(2), line=index + 1))
        elif fence:
            indent, language = fence.group(1), fence.group(2)
            body: list[str] = []
            index += 1
            while not lines[index].strip().startswith("```"):
                body.append(lines[index][len(indent):])
                index += 1
            if language == "sh":
                steps.append(Step(pc=pc, kind="sh", text="\n".join(body), line=index + 1))
        index += 1
    return steps


PASSPHRASE = "guide-test passphrase 2026"
FINGERPRINT_TO_TYPE = "....-....-....-....-...."
END_MARKS = ("the month ends here", "the ceremony ends here")


class Country:
    """The TEST network and the PCs the guide's blocks run on.

    ``from_ceremony``: no network is built beforehand; the key ceremony guide makes the
    keys (passphrase-protected, as an officer's) and the signed directory on the PCs.
    """

    def __init__(self, root: Path, *, from_ceremony: bool = False) -> None:
        self.root = root
        self.from_ceremony = from_ceremony
        now = dt.datetime.now(dt.timezone.utc)
        self.network = None if from_ceremony else build_network(root / "net", insurer_codes=[MUNICIPALITY], now=now)
        self.media, self.returns = root / "media", root / "return"
        self.media.mkdir()
        self.returns.mkdir()
        sample = generate_sample(root / "src", period=PERIOD, rows=30, seed=21, insurers=[MUNICIPALITY])
        self.sources = [Path(f) for f in sample.files]

    def pc(self, pid: str) -> Path:
        folder = self.root / "pc" / pid
        if not folder.exists():
            folder.mkdir(parents=True)
            if self.from_ceremony:
                if pid == "agency":
                    for annex, source in enumerate(self.sources, start=1):
                        shutil.copy(source, folder / f"annex{annex}.csv")
                return folder
            keys = self.root / "net" / "keys"
            shutil.copy(keys / f"{pid}.key", folder / f"{pid}.key")
            shutil.copy(keys / "root.json", folder / "root.json")
            (folder / "directory.json").write_bytes(self.network.signed_directory)
            if pid == "agency":
                for annex, source in enumerate(self.sources, start=1):
                    shutil.copy(source, folder / f"annex{annex}.csv")
        return folder

    def home(self, pid: str) -> Path:
        return self.pc(pid) / "home"

    def run(self, step: Step, guide: Path) -> subprocess.CompletedProcess:
        assert step.pc, f"{guide.name}:{step.line}: a command block without a <!-- pc: ID --> mark before it"
        script = (step.text.replace("/media/usb", str(self.media)).replace("/media/outgoing", str(self.media))
                  .replace("/media/return", str(self.returns)))
        script = "\n".join(self._typed_fingerprint(line, self.pc(step.pc)) for line in script.splitlines())
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SECXFER_", "LC_", "LANG"))}
        if guide.parent.name == "ja":  # an officer's PC runs in a Japanese locale
            env["LANG"] = "ja_JP.UTF-8"
        if self.from_ceremony:
            env["SECXFER_PASSPHRASE"] = PASSPHRASE  # what the officer types at the prompt
        env.update(SECXFER_HOME=str(self.home(step.pc)), SECXFER_OPERATOR=f"guide {step.pc}",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.pc(step.pc), env=env,
                              capture_output=True, text=True, timeout=300)

    @staticmethod
    def _typed_fingerprint(line: str, folder: Path) -> str:
        """The fingerprint read out over the phone, typed where the guide shows ``....``."""
        if FINGERPRINT_TO_TYPE not in line:
            return line
        from secxfer.trust.cards import card_fingerprint, verify_card

        card = next(word for word in line.split() if word.endswith(".card"))
        spoken = card_fingerprint(verify_card((folder / card).read_bytes()))
        return line.replace(FINGERPRINT_TO_TYPE, spoken)

    def carry(self, what: str) -> None:
        """``carry FILE from PC to PC[, PC…]``: a file handed over on a medium or by hand."""
        found = re.fullmatch(r"carry (\S+) from (\S+) to (.+)", what)
        assert found, f"unreadable carry mark {what!r}"
        name, source, targets = found.groups()
        for target in (t.strip() for t in targets.split(",")):
            shutil.copy(self.pc(source) / name, self.pc(target) / name)

    def others(self, what: str) -> None:
        """The 46 other federations do what fed-13 just did (the guide's ``guide:`` marks;
    ``the month ends here`` stops the run before examples for exceptions)."""
        from secxfer.ledger.aggregate import forward
        from secxfer.ledger.recorded import relay

        if what.startswith("carry "):
            self.carry(what)
            return
        if self.network is None:
            return  # a directory made by the ceremony holds fed-13 alone
        others = [f"fed-{n:02d}" for n in range(1, 48) if n != 13]
        for pid in others:
            key, home = self.network.secrets[pid], self.network.home(pid)
            if "relay" in what:
                (package,) = (self.media / f"central-to-{pid}").glob("*.age")
                relay(package, key=key, home=home, out=self.media, notify=lambda message: None)
            elif "forward" in what:
                forward(PERIOD, key=key, home=home, out=self.returns, notify=lambda message: None)
            else:
                raise AssertionError(f"unknown guide mark {what!r}")


@dataclass
class Ran:
    pc: str
    command: str
    output: str

    def __str__(self) -> str:
        return f"$ [{self.pc}] {self.command}\n{self.output}"


def run_guide(country: Country, guide: Path, ran: list[Ran] | None = None) -> list[Ran]:
    """Run ``guide``'s blocks in order; every block must exit 0."""
    ran = [] if ran is None else ran
    for step in steps_of(guide):
        if step.kind == "guide":
            if step.text.startswith(END_MARKS):
                break
            country.others(step.text)
            continue
        done = country.run(step, guide)
        ran.append(Ran(step.pc or "", step.text, done.stdout + done.stderr))
        assert done.returncode == 0, (
            f"{guide.name}:{step.line}: block on {step.pc} exited {done.returncode}\n" + "\n".join(map(str, ran[-3:]))
        )
        assert "Traceback" not in done.stderr
    return ran


def assert_no_english(ran: list[Ran]) -> None:
    """What the commands printed holds no English sentence (ids and paths aside)."""
    from tests.test_japanese_everywhere import english_sentences

    english = [line for entry in ran for line in english_sentences(entry.output)]
    assert not english, "English in the Japanese guide's output:\n" + "\n".join(english)


def closing_of(ran: list[Ran]) -> Ran:
    (closing,) = [entry for entry in ran if entry.pc == "agency" and " reconcile " in entry.command]
    return closing


@pytest.mark.slow
def test_from_the_key_ceremony_to_the_reconciled_close_in_japanese(tmp_path):
    """docs/ja alone: the ceremony makes protected keys and the signed directory, then the month runs on them."""
    country = Country(tmp_path, from_ceremony=True)
    ran = run_guide(country, DOCS / "ja" / "key-ceremony.md")
    assert (country.pc("root-1") / "directory.json").is_file()
    assert not any("TEST KEY" in entry.output or "試験用の鍵" in entry.output for entry in ran)
    ran = run_guide(country, DOCS / "ja" / "monthly.md", ran)
    assert_no_english(ran)
    assert "突合完了" in closing_of(ran).output
    assert len(list(country.pc(f"mun-{MUNICIPALITY}").rglob("*.xlsx"))) == 1


@pytest.mark.slow
@pytest.mark.parametrize("guide", [DOCS / "operations.md", DOCS / "ja" / "monthly.md"],
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_the_guide_runs_a_month_to_its_reconciled_close(guide, tmp_path):
    country = Country(tmp_path)
    assert sum(step.kind == "sh" for step in steps_of(guide)) >= 10
    ran = run_guide(country, guide)
    if guide.parent.name == "ja":  # an officer reads no English sentence in the whole month
        assert_no_english(ran)
    # the month closed: the agency's reconcile said so, and the officer has the workbook
    closing = closing_of(ran).output
    assert "突合完了" in closing or "RECONCILED" in closing
    opened = list((country.pc(f"mun-{MUNICIPALITY}")).rglob("*.xlsx"))
    assert len(opened) == 1
    assert list(country.pc("agency").glob(f"*{PERIOD}.html"))
