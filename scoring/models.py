"""Scoring profiles and snapshots live here; the engine itself is in scoring/engine/."""
