"""Coverage-guided fuzzing of every parser that reads outside data (see docs/fuzzing.md).

``fuzz.targets`` names the targets, ``fuzz.corpus`` writes their seed corpus,
``fuzz.run`` runs them under atheris (libFuzzer), ``fuzz.fallback`` runs the same
targets on seed mutations where atheris is not installed.
"""
