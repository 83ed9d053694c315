"""The signed key directory: who takes part, with which keys, signed by a threshold of root keys.

entries (the rows), model (the ``Directory`` value), checks (content rules), file (the
published, root-signed form), verify (reading a file against a root), excerpt (excerpts
and trust bundles), drafts (signing a new version). Import the module you need; this
package imports nothing itself, so that ``entries`` stays usable from the modules the
others build on.
"""
