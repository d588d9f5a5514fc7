"""Sessions as tests: ``session.json``, replay against edited code, diff, view, export.

Importing this package loads nothing heavy; each command imports what it needs.
"""
