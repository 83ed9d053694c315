"""Test support, never for real data: a network of TEST keys and the national demo.

Every key made here is a TEST KEY derived from a seed, saved with the test-key mark,
so runs are reproducible and nothing here may ever carry real records. Production
participants generate their own keys and the root holders sign offline
(docs/keys.md). The tests, the benches, ``tools/`` and ``secxfer demo`` use this
package; production code never imports it.

* ``secxfer.testing.network`` — ``build_network``: root holders, agency, central, the
  47 federations and chosen municipalities, with enrollments, a signed directory and
  pinned homes.
* ``secxfer.testing.demo`` — ``run_demo``: one month through the whole chain on that
  network, and the building blocks ``secxfer demo`` is made of.
"""
