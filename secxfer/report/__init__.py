"""Pages for people: printable key forms and the HTML status report.

A presentation wing above the ledger and trust wings: it renders their results as
self-contained HTML (inline CSS and SVG only, a Content-Security-Policy that lets
nothing external load), in Japanese, for offline PCs and for filing on paper.

Public API: :func:`secxfer.report.keyform.render_key_form`,
:func:`secxfer.report.keyform.write_key_form`,
:func:`secxfer.report.status_page.render_status_page`,
:func:`secxfer.report.status_page.write_status_page`.
"""
