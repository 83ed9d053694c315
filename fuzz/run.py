"""Run fuzz targets under atheris (libFuzzer), coverage-guided over the secxfer package.

    python -m fuzz.run TARGET [TARGET ...] [--seeds DIR] [-- LIBFUZZER_ARGS ...]

``TARGET`` is a name from ``python -m fuzz.run --list``, or ``all``. With one target
its inputs go to it unchanged, so a crash file reproduces with
``python -m fuzz.run TARGET -- crash-FILE``. With several, the first byte of each
input picks the target and the rest is its input.

``--seeds DIR`` adds the seed corpus written by ``python -m fuzz.corpus DIR`` (a
prefixed copy for several targets). Everything after ``--`` goes to libFuzzer:
corpus folders, ``-max_total_time=SECONDS``, ``-runs=N``, ``-jobs=N`` and so on.
Unless given there, each input may take at most 10 s (``-timeout``) and the process
at most 2 GiB (``-rss_limit_mb``): a hang or runaway allocation is a finding too.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DEFAULTS = {"-timeout": "10", "-rss_limit_mb": "2048"}


def _split(argv: list[str]) -> tuple[list[str], Path | None, list[str]]:
    ours, libfuzzer = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    seeds = None
    names = []
    words = iter(ours)
    for word in words:
        if word == "--seeds":
            seeds = Path(next(words))
        elif word.startswith("--seeds="):
            seeds = Path(word.split("=", 1)[1])
        else:
            names.append(word)
    return names, seeds, libfuzzer


def _options(libfuzzer: list[str], max_len: int) -> list[str]:
    given = {arg.split("=", 1)[0] for arg in libfuzzer if arg.startswith("-")}
    extra = [f"{flag}={value}" for flag, value in {**DEFAULTS, "-max_len": str(max_len)}.items() if flag not in given]
    return [*libfuzzer, *extra]


def _seed_dirs(seeds: Path | None, names: list[str]) -> list[str]:
    if seeds is None:
        return []
    if len(names) == 1:
        return [str(seeds / names[0])]
    # Several targets: a fresh folder for libFuzzer to add to, holding each seed behind its selector byte.
    mixed = Path(tempfile.mkdtemp(prefix="secxfer-fuzz-seeds-"))
    for position, name in enumerate(names):
        for seed in sorted((seeds / name).iterdir()):
            (mixed / f"{name}-{seed.name}").write_bytes(bytes([position]) + seed.read_bytes())
    return [str(mixed)]


def _import_all() -> None:
    """Import every secxfer module, so that all of them are instrumented for coverage."""
    import importlib
    import pkgutil

    import secxfer

    for module in pkgutil.walk_packages(secxfer.__path__, "secxfer."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)


def main(argv: list[str]) -> int:
    import atheris

    names, seeds, libfuzzer = _split(argv)
    with atheris.instrument_imports(include=["secxfer"]):
        _import_all()
    from fuzz.targets import TARGETS

    from secxfer.errors import SecxferError

    if names == ["--list"]:
        for target in TARGETS.values():
            print(f"{target.name:16} {target.about.splitlines()[0]}")
        return 0
    if names == ["all"]:
        names = list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if not names or unknown:
        print(f"unknown or no target {unknown}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    chosen = [TARGETS[n] for n in names]

    if len(chosen) == 1:
        run = chosen[0].run

        def one_input(data: bytes) -> None:
            try:
                run(data)
            except SecxferError:
                pass

        max_len = chosen[0].max_len
    else:

        def one_input(data: bytes) -> None:
            if not data:
                return
            try:
                chosen[data[0] % len(chosen)].run(data[1:])
            except SecxferError:
                pass

        max_len = 1 + max(t.max_len for t in chosen)

    corpus = [arg for arg in libfuzzer if not arg.startswith("-")]
    flags = [arg for arg in libfuzzer if arg.startswith("-")]
    args = [sys.argv[0], *_options(flags, max_len), *corpus, *_seed_dirs(seeds, names)]
    print(f"fuzzing {', '.join(names)}", file=sys.stderr)
    atheris.Setup(args, one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
