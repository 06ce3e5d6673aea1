"""Scoring: pure functions that take an inventory and its packs and return findings.

Each score explains itself: every point lost is carried by a finding a person can read
(:class:`freecost.scoring.findings.Finding`), so a grade never rests on a number nobody can trace.
"""
