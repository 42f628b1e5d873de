"""Background jobs, run by `manage.py db_worker`: one module per job, holding the function
that queues it and the task the worker runs.

- `recompute`: many accounts in chunks, each chunk a task any worker claims; the others use it.
- `rollout`: recompute a scoring profile version's history, then make it live.
- `backtest_run`: score every account's history under a version and the live one, and compare
  each with what happened.
- `catch_up`: once a day, roll quiet accounts into the current week.
"""
