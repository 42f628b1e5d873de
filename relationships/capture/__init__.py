"""Evidence without typing: meetings and messages read from calendars and mail, matched to
accounts, and offered to the manager to confirm (README, Capture).

Nothing here logs an interaction by itself. `parsing` reads .ics, .eml and .mbox into plain
records, `matching` finds each one's account among those the manager may write to, `services`
keeps them as review items (keyed by owner, UID and recurrence id, so nothing is imported
twice), `caldav_sync` brings a CalDAV calendar up to date with sync tokens, and confirming an
item goes through scoring/use_cases.py like any logged meeting.
"""
