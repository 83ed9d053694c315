"""The key commands in English and Japanese, their output compared with the catalog."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from secxfer.cli import run
from secxfer.cli.i18n import catalog
from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, EXIT_REJECTED
from secxfer.testing.network import build_network

CODES = ["131016", "141003"]
PERIOD = "2026-10"


def msg(key: str, lang: str, **values) -> str:
    text = catalog()[key][lang]
    return text.format(**values) if values else text


@pytest.fixture(autouse=True)
def _english_afterwards(english_afterwards):
    """Every test here may switch the language."""


@pytest.fixture
def cli(run_cli, monkeypatch):
    monkeypatch.setenv("SECXFER_OPERATOR", "Yamada Taro")
    return run_cli


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """A month sealed and relayed down to the municipalities' media."""
    root = tmp_path_factory.mktemp("i18n")
    build_network(root, insurer_codes=CODES, now=dt.datetime.now(dt.timezone.utc))
    files = [Path(f) for f in generate_sample(root / "source", period=PERIOD, rows=60, seed=3, insurers=CODES).files]
    media = root / "media"
    keys, homes = root / "keys", root / "homes"

    def as_(pid):
        return ["--key", str(keys / f"{pid}.key"), "--home", str(homes / pid)]

    assert run(["seal", "--period", PERIOD, "--annex1", str(files[0]), "--annex2", str(files[1]),
                "--annex3", str(files[2]), *as_("agency"), "--out", str(media)]) == 0
    (sealed,) = (media / "agency-to-central").glob("*.age")
    assert run(["relay", str(sealed), *as_("central"), "--out", str(media)]) == 0
    for fed in ("fed-13", "fed-14"):
        (package,) = (media / f"central-to-{fed}").glob("*.age")
        assert run(["relay", str(package), *as_(fed), "--out", str(media)]) == 0
    return root, files, as_


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_validate_summary_in_both_languages(cli, month, lang):
    _, files, _ = month
    out, _ = cli("--lang", lang, "validate", "--annex", "1", "--period", PERIOD, "--no-notes", files[0])
    first = out.splitlines()[0]
    assert first.startswith(msg("validate.verdict_ok", lang) + ":")
    assert msg("validate.headline", lang, verdict=msg("validate.verdict_ok", lang), annex=1, period=PERIOD,
               profile="default") in out
    assert msg("validate.per_insurer", lang) in out


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_validate_rejection_prints_the_translated_error(cli, tmp_path, lang):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"not,an,annex\r\n")
    _, err = cli("--lang", lang, "validate", "--annex", "1", bad, code=EXIT_REJECTED)
    if lang == "ja":
        assert err.startswith("secxfer: エラー: " + msg("error.AnnexRejectedError.title", "ja"))
        assert msg("error.AnnexRejectedError.hint", "ja") in err and "(詳細: " in err
    else:
        assert err.startswith("secxfer: error: ") and "(hint: " in err


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_calendar_lines_come_from_the_catalog(cli, lang):
    out, _ = cli("--lang", lang, "calendar", PERIOD, "--today", "2026-11-20")
    lines = out.splitlines()
    assert lines[0] == "2026-11-27"
    assert lines[1] == msg("calendar.rule", lang, period=PERIOD, month="2026-11")
    assert lines[-1] == msg("calendar.days_left", lang, days=7, today="2026-11-20")


def test_the_locale_chooses_japanese_and_the_option_wins(cli, monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    out, _ = cli("calendar", PERIOD, "--today", "2026-11-20")
    assert out.splitlines()[-1] == msg("calendar.days_left", "ja", days=7, today="2026-11-20")
    out, _ = cli("--lang", "en", "calendar", PERIOD, "--today", "2026-11-20")
    assert out.splitlines()[-1] == msg("calendar.days_left", "en", days=7, today="2026-11-20")


def test_an_unknown_language_is_a_usage_error(cli):
    _, err = cli("--lang", "fr", "calendar", PERIOD, code=2)
    assert "fr" in err


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_verify_open_and_open_again(cli, month, tmp_path, lang):
    root, _, as_ = month
    (package,) = (root / "media" / "fed-13-to-mun-131016").glob("*.age")
    out, _ = cli("--lang", lang, "verify", package, "--home", root / "homes" / "mun-131016")
    assert out.startswith(msg("verify.ok", lang, name=package.name, sender="fed-13", recipient="mun-131016",
                              period=PERIOD, rehearsal="", size=package.stat().st_size))

    home = tmp_path / "home"
    key = ["--key", str(root / "keys" / "mun-131016.key"), "--home", str(home), "--root", str(root / "keys" / "root.json")]
    out, err = cli("--lang", lang, "open", package, *key, "--out", tmp_path / "opened")
    # First use names the root by the fingerprint on the paper form, as `directory import` does.
    from secxfer.trust.fingerprint import document_fingerprint
    from secxfer.trust.root import decode_root_unverified

    signed, parsed = decode_root_unverified((root / "keys" / "root.json").read_bytes())
    fingerprint = document_fingerprint(signed.payload)
    assert msg("cli.pinning_root", lang, version=parsed.version, path=root / "keys" / "root.json",
               fingerprint=fingerprint) in err
    assert len(fingerprint) == 24 and fingerprint.count("-") == 4
    assert msg("open.use_limits_1", lang) in err and msg("open.chain", lang, chain="agency -> central -> fed-13 -> mun-131016") in err
    assert len(out.splitlines()) == 4  # 3 CSVs + the workbook

    _, err = cli("--lang", lang, "open", package, *key, "--out", tmp_path / "again", code=EXIT_INTEGRITY)
    assert not (tmp_path / "again").exists()
    warning, err = err.splitlines()
    assert warning == msg("cli.warning_line", lang, message=msg("cli.test_key", lang, name="mun-131016.key"))
    if lang == "ja":
        title, hint = msg("error.PackageReplayError.title", "ja"), msg("error.PackageReplayError.hint", "ja")
        assert err.startswith(f"secxfer: エラー: {title}。対処: {hint}(詳細: ")
    else:
        assert err.startswith("secxfer: error: ") and "already processed here" in err and "(hint: " in err


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_status_table_words_come_from_the_catalog(cli, month, lang):
    root, _, _ = month
    out, _ = cli("--lang", lang, "status", PERIOD, "--home", root / "homes" / "central")
    assert msg("status.columns", lang) in out
    relayed = msg("state.relayed", lang)
    assert any(line.startswith("fed-13 ") and relayed in line for line in out.splitlines())
    assert msg("status.deadline", lang, deadline="2026-11-27", when="").split("(")[0] in out


def test_japanese_help_texts_in_a_fresh_process():
    done = subprocess.run([sys.executable, "-m", "secxfer", "--lang", "ja", "validate", "--help"],
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert done.returncode == 0
    assert msg("help.validate", "ja").splitlines()[0] in done.stdout
    done = subprocess.run([sys.executable, "-m", "secxfer", "--help"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "LANG": "ja_JP.UTF-8"})
    assert "終了コード" in done.stdout and "--lang" in done.stdout


def test_progress_is_drawn_only_for_a_terminal_and_never_with_quiet(monkeypatch):
    import io

    from rich.console import Console

    from secxfer.cli import progress

    screen = io.StringIO()
    monkeypatch.setattr(progress, "_console", lambda: Console(file=screen, force_terminal=True, width=100))
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    progress.set_quiet(False)
    assert progress.enabled()
    with progress.steps(msg("progress.demo", "ja")) as bar:
        assert bar.drawn
        bar.step(3, 47, "fed-03")
        bar.note("keys: generated")
    assert msg("progress.demo", "ja") in screen.getvalue() and "keys: generated" in screen.getvalue()

    progress.set_quiet(True)
    try:
        assert not progress.enabled()
        with progress.steps("x") as bar, progress.activity("y"):
            assert not bar.drawn
            bar.note("never shown")
    finally:
        progress.set_quiet(False)


def test_quiet_root_option_and_no_bar_without_a_terminal(cli, month, tmp_path):
    root, _, _ = month
    from secxfer.cli import progress

    (package,) = (root / "media" / "fed-14-to-mun-141003").glob("*.age")
    home = ["--home", str(tmp_path / "h"), "--root", str(root / "keys" / "root.json")]
    out, err = cli("-q", "open", package, "--key", root / "keys" / "mun-141003.key", *home, "--out", tmp_path / "o")
    assert progress.quiet() and "\x1b[" not in err and len(out.splitlines()) == 4
    out, err = cli("calendar", PERIOD)
    assert not progress.quiet() and "\x1b[" not in err
