"""The demo portfolio: believable account stories (stories.py) and a bulk writer (writer.py)."""
