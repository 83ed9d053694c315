"""The benchmark suite behind ``bench/run``: secxfer against the tools people would otherwise use.

One module per part: ``throughput`` (bulk encrypt/decrypt/relay), ``fanout`` (the
national month), ``memory`` (peak RSS in a child process), ``startup`` (CLI wall
time); ``peers`` finds or installs the other tools, ``measure`` pairs and times
contenders, ``report`` writes JSON and Markdown, ``targets`` compares with issue 7.
"""
