"""The scoring engine: pure Python, no Django import (a test enforces it).

It turns dated evidence about one account into its position on the relationship S-curve.
"""

from scoring.engine.stages import Stage

__all__ = ["Stage"]
