"""Benchmark: server memory and answer size when the import page is sent files of bad lines.

Usage (a throwaway SQLite database is created and migrated in a temporary directory):

    .venv/bin/python bench/import_report.py [--megabytes 2]

A sales lead uploads a valid accounts.csv and an interactions.csv of `--megabytes` MB of bad
lines, through the whole Django stack in this process (upload parsing, the import, the
rendered page), in two shapes: lines of one cell ("x"), and lines with every cell but none
right ("?,?,?,?,?,?,?"). Reports the peak of Python memory allocated during the request
(tracemalloc), the problems counted and the size of the page. Figures go to
docs/benchmarks.md.
"""

import argparse
import io
import os
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
WORKDIR = tempfile.mkdtemp(prefix="import-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts import roles  # noqa: E402
from relationships.csv_bundle import formats  # noqa: E402

ACCOUNTS = ",".join(formats.COLUMNS[formats.ACCOUNTS]) + "\nA1,Northwind,Logistics,alice,1,,,\n"
HEADER = ",".join(formats.COLUMNS[formats.INTERACTIONS]) + "\n"


# The pages name static files without collectstatic having run.
@override_settings(
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
)
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=2)
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    alice = users.create_user("alice", password="not used here")
    alice.groups.add(Group.objects.get(name=roles.ACCOUNT_MANAGER))
    lena = users.create_user("lena", password="not used here")
    lena.groups.add(Group.objects.get(name=roles.SALES_LEAD))
    client = Client()
    client.force_login(lena)

    size = int(options.megabytes * 1024 * 1024)
    shapes = [("one cell per line", "x\n"), ("every cell, none right", "?,?,?,?,?,?,?\n")]
    for label, line in shapes:
        body = (HEADER + line * ((size - len(HEADER)) // len(line))).encode()
        uploads = {
            "accounts": io.BytesIO(ACCOUNTS.encode()),
            "interactions": io.BytesIO(body),
        }
        for name, handle in uploads.items():
            handle.name = f"{name}.csv"
        tracemalloc.start()
        started = time.perf_counter()
        response = client.post(reverse("portfolio-import"), uploads)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert response.status_code == 200, response.status_code
        html = response.content.decode()
        counted = re.search(r"Nothing was imported: (\d+) problem", html)
        lines = body.count(b"\n") - 1
        print(
            f"{label}: {len(body) / 1024 / 1024:.1f} MB, {lines:,} lines; "
            f"peak {peak / 1024 / 1024:.1f} MB allocated; "
            f"{int(counted.group(1)) if counted else 0:,} problems counted; "
            f"page {len(response.content) / 1024:.0f} kB; {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
