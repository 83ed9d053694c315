"""The implementation of secxfer's public API (``import secxfer``), one small module per concern.

Callers import from ``secxfer``, never from here: ``secxfer/__init__.py`` loads these
modules on first use, so ``import secxfer`` stays fast.
"""
