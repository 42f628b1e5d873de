"""Load test: a sales floor at once under gunicorn, against a trivial view of the same app.

Usage (PostgreSQL, holding the large demo portfolio from `make seed-large`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \\
        .venv/bin/python bench/load.py [--duration 60] [--managers 14] [--leads 6] [--workers 4]

Starts gunicorn on a loopback port with production settings (static files collected, sync
workers, one thread each), signs each simulated user in with a session of their own, and runs
them all at once from this process, one thread and one connection each, for a bounded time:
- an account manager (a real manager with accounts, a different one per user) opens their
  accounts list (/), opens one of their active accounts, opens "Log a meeting" (the form
  fragment, as htmx asks for it), posts the form as the page does (HX-Request, CSRF token from
  the form and the csrftoken cookie; today's date, a random kind and sentiment, one of the
  account's contacts, one or two trust signals from the chips, a note tagged with this run),
  fetches the five panels the `evidenceChanged` event refreshes, then pauses (0.5-2 s);
- a sales lead opens the dashboard (/dashboard/), changes a filter (the fragment, HX-Request,
  one of a few filter sets), opens an account, then pauses.
Requests accept gzip, as a browser does. Pauses are seeded (--seed). With
--think-each-page each user also pauses after every page they open (reading it, filling the
form in), as people do; the run's last pause may end it mid-loop, which is not counted.
With --arrive-over S the users arrive over the first S seconds, each at a random moment,
rather than all in the first second.
Meanwhile a probe thread times /healthz, a trivial view of the same app under the same
server, every 0.1 s: the ceiling under the same load; /healthz is also timed alone before
the users start.

Reports per page: count, p50, p95 and max, errors, and the p50's ratio to the ceiling (under
load, and alone); loops, meetings logged and throughput; the load average at start and end, and
where the machine's CPU went during the run (gunicorn workers, their PostgreSQL backends, this
process, everything else: on a small shared machine the figures mean little without it).
Any response other than 2xx/3xx, a refused form or an exception is an error, printed with its
page; afterwards, the interactions and signals in the database are checked against the
meetings the server accepted (nothing lost, nothing doubled). Exits non-zero on any error or
mismatch. The meetings are real writes and stay in the database. Figures go to
docs/benchmarks.md.
"""

import argparse
import gzip
import http.client
import os
import random
import re
import secrets
import statistics
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import NamedTuple, NotRequired, TypedDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
# gunicorn runs with production settings, which refuse the public development key; the
# sessions signed here must match the server's key.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    get_user_model,
)
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import Account, AccountStatus  # noqa: E402
from bench.common import Client, gunicorn, percentile, session_for  # noqa: E402
from bench.dashboard import FILTERS  # noqa: E402
from relationships.models import Interaction, TrustSignal  # noqa: E402

# The panels of the account page that refresh themselves on `evidenceChanged`.
REFRESHED_PANELS = ["account-header", "account-charts", "why-stage", "timeline", "audit-trail"]
KINDS = ["meeting", "call", "workshop", "business_review", "planning_session"]
SENTIMENTS = ["", "2", "1", "1", "0", "-1"]

PAGES = {
    "list": "accounts list `/`",
    "account": "account page, full (manager)",
    "log_form": "log form (htmx GET)",
    "log_post": "log a meeting (htmx POST)",
    "panel": "panel refresh after a meeting (5 each)",
    "dashboard": "dashboard, full page",
    "fragment": "dashboard, filter fragment",
    "lead_account": "account page, full (lead)",
}


class Failure(Exception):
    """A response the simulated user cannot go on from (already counted as an error)."""


class UserState(TypedDict):
    """What one simulated user has done so far, counted by its thread."""

    user: int
    sent: int
    logged: list[str]
    signals: int
    loops: int
    failed_loops: int
    reads: NotRequired[Callable[[], None]]  # the pause after a page, set by `simulate`


class TimeUp(Exception):
    """The run's time ran out while a user paused."""


class Browser(Client):
    """One user's connection with its own cookies (session, csrftoken), timing each request
    and recording it, or an error, under its page name."""

    def __init__(self, port: int, session_key: str):
        super().__init__(port, session_key)
        self.port = port
        self.cookies = {settings.SESSION_COOKIE_NAME: session_key}
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def request(
        self, page: str, method: str, path: str, body: dict | None = None, headers=None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        all_headers = {"Cookie": cookie, "Accept-Encoding": "gzip, deflate, br", **(headers or {})}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=all_headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.errors[page].append(f"{method} {path}: {error!r}")
            raise Failure from error
        elapsed = (time.perf_counter() - started) * 1000
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.getheader("Content-Encoding") == "gzip":
            content = gzip.decompress(content)
        if not 200 <= response.status < 400:
            self.errors[page].append(f"{method} {path}: HTTP {response.status} {content[:300]!r}")
            raise Failure
        self.times[page].append(elapsed)
        return response.status, content, response

    # Unlike Client.get, it names the page it times (Client.get(browser, ...) stays untimed).
    def get(  # type: ignore[override]
        self, page: str, path: str, htmx: bool = False, current: str | None = None
    ):
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "HX-Current-URL": self.url(current or path)}
        return self.request(page, "GET", path, headers=headers)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def manager_loop(browser: Browser, rng: random.Random, accounts: list[int], tag: str, state):
    browser.get("list", "/")
    state["reads"]()
    account_id = rng.choice(accounts)
    page = f"/accounts/{account_id}/"
    browser.get("account", page)
    state["reads"]()
    log = f"/accounts/{account_id}/log/"
    _, form, _ = browser.get("log_form", log, htmx=True, current=page)
    state["reads"]()  # filling the form in
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if found is None:
        browser.errors["log_form"].append(f"GET {log}: no csrfmiddlewaretoken in the form")
        raise Failure
    token = found.group(1).decode()
    contacts = re.findall(rb'name="participants" value="(\d+)"', form)
    chips = re.findall(rb'name="signals" value="(\d+)"', form)
    state["sent"] += 1
    note = f"[{tag}] meeting {state['user']}.{state['sent']}, logged by bench/load.py."
    signals = rng.sample(chips, rng.choice([1, 2])) if chips else []
    body = {
        "csrfmiddlewaretoken": token,
        "occurred_on": timezone.localdate().isoformat(),
        "kind": rng.choice(KINDS),
        "sentiment": rng.choice(SENTIMENTS),
        "participants": [rng.choice(contacts).decode()] if contacts else [],
        "new_contact_name": "",
        "new_contact_title": "",
        "notes": note,
        "signals": [s.decode() for s in signals],
        "version": "",
    }
    if rng.random() < 0.3:
        body["initiated_by_client"] = "on"
    headers = {
        "HX-Request": "true",
        "HX-Current-URL": browser.url(page),
        "HX-Target": "log-panel",
        "X-CSRFToken": token,
        "Origin": browser.url(""),
        "Referer": browser.url(page),
    }
    _, answer, response = browser.request("log_post", "POST", log, body, headers)
    if b'data-testid="change-note"' not in answer or "evidenceChanged" not in (
        response.getheader("HX-Trigger") or ""
    ):
        browser.times["log_post"].pop()
        browser.errors["log_post"].append(f"POST {log}: form refused: {answer[:600]!r}")
        raise Failure
    state["logged"].append(note)
    state["signals"] += len(signals)
    for panel in REFRESHED_PANELS:
        browser.get("panel", f"{page}?panel={panel}", htmx=True, current=page)


def lead_loop(browser: Browser, rng: random.Random, accounts: list[int], tag: str, state):
    browser.get("dashboard", "/dashboard/")
    state["reads"]()
    browser.get("fragment", f"/dashboard/?{rng.choice(FILTERS)}", htmx=True, current="/dashboard/")
    state["reads"]()
    browser.get("lead_account", f"/accounts/{rng.choice(accounts)}/")


def simulate(
    loop, browser, rng, accounts, tag, deadline, think, state, each_page=False, arrive_over=0.0
) -> None:
    def reads() -> None:
        """With --think-each-page, the user reads each page before the next click."""
        if each_page:
            pause = rng.uniform(*think)
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                raise TimeUp

    state["reads"] = reads
    # People do not all open the app in the same second: with --arrive-over each user starts
    # at a moment of their own within it.
    if arrive_over:
        time.sleep(max(0.0, min(rng.uniform(0, arrive_over), deadline - time.monotonic())))
    while time.monotonic() < deadline:
        try:
            loop(browser, rng, accounts, tag, state)
            state["loops"] += 1
        except TimeUp:
            break  # the run ended while the user was reading: not a loop, nor a failure
        except Failure:
            state["failed_loops"] += 1
        pause = rng.uniform(*think)
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))


def probe(port: int, deadline: float, interval: float, times: list[float], errors: list[str]):
    client = Client(port, "")
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            status, body, _, elapsed = Client.get(client, "/healthz")
            if status != 200:
                errors.append(f"GET /healthz: HTTP {status} {body[:100]!r}")
            else:
                times.append(elapsed * 1000)
        except (OSError, http.client.HTTPException) as error:
            client.connection.close()
            errors.append(f"GET /healthz: {error!r}")
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def db_counts(tag: str) -> dict[str, int]:
    tagged = Q(notes__startswith=f"[{tag}] ")
    return {
        "interactions": Interaction.objects.count(),
        "signals": TrustSignal.objects.count(),
        "tagged": Interaction.objects.filter(tagged).count(),
        "tagged_distinct": Interaction.objects.filter(tagged).values("notes").distinct().count(),
        "tagged_signals": TrustSignal.objects.filter(
            interaction__notes__startswith=f"[{tag}] "
        ).count(),
    }


def cpu_busy() -> tuple[float, float]:
    """The machine's busy and total CPU seconds since boot (all cores, from /proc/stat)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    total = sum(ticks[:8])
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (total - idle) / hz, total / hz


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes."""
    seconds = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def gunicorn_workers(master: int) -> list[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in path.read_text().split()]


class BackendCpu:
    """CPU used by the PostgreSQL backends on this database (other than this process's own):
    the gunicorn workers' connections, and anyone else's. Backends come and go (a connection
    lives DATABASE_CONN_MAX_AGE seconds), so they are sampled every second until `stop` is set;
    a backend's last second before it ends may be missed."""

    def __init__(self):
        self.first = self.sample()
        self.last = dict(self.first)
        self.seen: set[int] = set()

    def sample(self) -> dict[int, float]:
        if connection.vendor != "postgresql":
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            pids = [pid for (pid,) in cursor.fetchall()]
        return {pid: process_cpu([pid]) for pid in pids if Path(f"/proc/{pid}").exists()}

    def follow(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(1.0):
                self.update()
            self.update()
        finally:
            connection.close()

    def update(self) -> None:
        for pid, seconds in self.sample().items():
            self.last[pid] = seconds
            self.seen.add(pid)

    def used(self) -> float:
        return sum(seconds - self.first.get(pid, 0.0) for pid, seconds in self.last.items())


def load_line(label: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {label}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def main() -> None:
    options = parse_options()
    print(load_line("at start"), flush=True)
    cast = cast_for(options)
    tag = f"load {time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"

    sessions: list[str] = []
    try:
        with gunicorn(workers=options.workers) as server:
            users = sign_in(server.port, options, cast, sessions)
            connection.close()  # the users' threads do not touch the database
            idle = warm_up(server.port, options, sessions, cast.mine[cast.managers[0].pk][0])
            before = db_counts(tag)
            connection.close()
            print(
                f"gunicorn, {options.workers} sync workers x 1 thread, loopback; "
                f"{options.managers} managers + {options.leads} leads "
                f"for {options.duration:.0f} s; "
                f"think {options.think_min}-{options.think_max} s; "
                f"arriving over {options.arrive_over:.0f} s; "
                f"{len(cast.every_account)} active accounts; leads signed in as "
                f"{cast.lead.username} ({options.leads} sessions); run tag [{tag}]",
                flush=True,
            )
            run = run_users(server, users, options, tag)
    finally:
        Session.objects.filter(session_key__in=sessions).delete()

    times, errors = merged(users)
    print_cpu(run)
    print_pages(times, errors, run, idle)
    lost = not database_adds_up(before, tag, run.states)
    error_count = sum(len(messages) for messages in errors.values()) + len(run.probe_errors)
    print_errors(errors, run.probe_errors)
    print(f"{error_count} errors")
    if error_count or lost:
        sys.exit(1)


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--managers", type=int, default=14)
    parser.add_argument("--leads", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think-min", type=float, default=0.5, help="seconds")
    parser.add_argument("--think-max", type=float, default=2.0, help="seconds")
    parser.add_argument(
        "--think-each-page",
        action="store_true",
        help="pause after every page a user opens, not once per loop",
    )
    parser.add_argument(
        "--arrive-over",
        type=float,
        default=0.0,
        help="seconds over which the users arrive, each at a random moment (0: all at once)",
    )
    parser.add_argument("--probe-interval", type=float, default=0.1, help="seconds")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


class Cast(NamedTuple):
    """Who the simulated users are, and the accounts they open."""

    managers: Sequence[User]  # each with at least three active accounts
    lead: User  # the sales lead every lead session signs in as
    mine: dict[int, list[int]]  # active account ids by owner id
    every_account: list[int]  # every active account's id


def cast_for(options: argparse.Namespace) -> Cast:
    """`options.managers` real managers drawn with the run's seed, a sales lead, and the
    active accounts."""
    rng = random.Random(options.seed)
    owned = Q(owned_accounts__status=AccountStatus.ACTIVE)
    managers = list(
        get_user_model()
        .objects.filter(groups__name=roles.ACCOUNT_MANAGER, is_active=True)
        .annotate(active_accounts=Count("owned_accounts", filter=owned))
        .filter(active_accounts__gte=3)
        .order_by("username")
    )
    managers = rng.sample(managers, options.managers)
    lead = get_user_model().objects.filter(groups__name=roles.SALES_LEAD, is_active=True).first()
    assert lead is not None, "the portfolio has no active sales lead to sign in as"
    active = list(
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "owner")
    )
    mine = defaultdict(list)
    for pk, owner in active:
        mine[owner].append(pk)
    return Cast(managers, lead, mine, [pk for pk, _ in active])


def sign_in(port: int, options: argparse.Namespace, cast: Cast, sessions: list[str]) -> list[tuple]:
    """Each simulated user as (loop, browser, rng, accounts), signed in with a session of its
    own (added to `sessions`, for the caller to delete): the managers, then the leads."""
    users = []
    for n, manager in enumerate(cast.managers):
        sessions.append(session_for(manager))
        browser = Browser(port, sessions[-1])
        users.append(
            (manager_loop, browser, random.Random(options.seed * 1000 + n), cast.mine[manager.pk])
        )
    for n in range(options.leads):
        sessions.append(session_for(cast.lead))
        browser = Browser(port, sessions[-1])
        users.append(
            (
                lead_loop,
                browser,
                random.Random(options.seed * 1000 + 500 + n),
                cast.every_account,
            )
        )
    return users


def warm_up(
    port: int, options: argparse.Namespace, sessions: list[str], account_id: int
) -> list[float]:
    """Warm every worker (connections, templates, the first queries), not counted; then time
    /healthz alone: the ceiling of the idle server, in milliseconds."""
    warm = Browser(port, sessions[0])
    warm_lead = Browser(port, sessions[-1]) if options.leads else None
    for _ in range(2 * options.workers):
        warm.get("list", "/")
        warm.get("account", f"/accounts/{account_id}/")
        warm.get("log_form", f"/accounts/{account_id}/log/", htmx=True)
        for panel in REFRESHED_PANELS:
            warm.get("panel", f"/accounts/{account_id}/?panel={panel}", htmx=True)
        if warm_lead:
            warm_lead.get("dashboard", "/dashboard/")
            warm_lead.get("fragment", f"/dashboard/?{FILTERS[0]}", htmx=True)
    return [Client.get(warm, "/healthz")[3] * 1000 for _ in range(200)]


@dataclass
class Run:
    """What the users and the probe did, and where the machine's CPU went meanwhile."""

    states: list[UserState]
    probe_times: list[float]
    probe_errors: list[str]
    elapsed: float  # seconds
    busy: float  # CPU seconds: the machine busy, of `total`
    total: float
    served: float  # by the gunicorn workers
    generated: float  # by this process
    queried: float  # by the PostgreSQL backends
    backends: int  # how many backends were seen


def run_users(server, users: list[tuple], options: argparse.Namespace, tag: str) -> Run:
    """Every user in a thread of its own, and the probe, until the run's time is up."""
    workers, backends = gunicorn_workers(server.pid), BackendCpu()
    connection.close()
    cpu_before = cpu_busy(), process_cpu(workers), time.process_time()
    started = time.monotonic()
    deadline = started + options.duration
    states: list[UserState] = [
        {"user": n, "sent": 0, "logged": [], "signals": 0, "loops": 0, "failed_loops": 0}
        for n in range(len(users))
    ]
    threads = [
        threading.Thread(
            target=simulate,
            args=(
                loop,
                browser,
                user_rng,
                accounts,
                tag,
                deadline,
                (options.think_min, options.think_max),
                state,
                options.think_each_page,
                options.arrive_over,
            ),
        )
        for (loop, browser, user_rng, accounts), state in zip(users, states, strict=True)
    ]
    probe_times: list[float] = []
    probe_errors: list[str] = []
    threads.append(
        threading.Thread(
            target=probe,
            args=(server.port, deadline, options.probe_interval, probe_times, probe_errors),
        )
    )
    stop = threading.Event()
    follower = threading.Thread(target=backends.follow, args=(stop,))
    follower.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    follower.join()
    elapsed = time.monotonic() - started
    (busy, total), served, generated = cpu_busy(), process_cpu(workers), time.process_time()
    return Run(
        states,
        probe_times,
        probe_errors,
        elapsed,
        busy=busy - cpu_before[0][0],
        total=total - cpu_before[0][1],
        served=served - cpu_before[1],
        generated=generated - cpu_before[2],
        queried=backends.used(),
        backends=len(backends.seen),
    )


def merged(users: list[tuple]) -> tuple[dict[str, list[float]], dict[str, list[str]]]:
    """Every user's request times and errors, by page."""
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    for _, browser, _, _ in users:
        for page, values in browser.times.items():
            times[page].extend(values)
        for page, messages in browser.errors.items():
            errors[page].extend(messages)
    return times, errors


def print_cpu(run: Run) -> None:
    print(f"ran {run.elapsed:.1f} s; " + load_line("at end"))
    busy, total, served, queried = run.busy, run.total, run.served, run.queried
    print(
        f"CPU during the run: machine {busy / total:.0%} busy ({busy:.1f} of {total:.1f} core-s): "
        f"gunicorn workers {served:.1f} s, their PostgreSQL backends {queried:.1f} s "
        f"({run.backends} on this database), this load generator {run.generated:.1f} s, "
        f"everything else (other work on the machine) "
        f"{busy - served - queried - run.generated:.1f} s"
    )


def print_pages(
    times: dict[str, list[float]], errors: dict[str, list[str]], run: Run, idle: list[float]
) -> None:
    """Per page: count, p50, p95, max and errors, and the p50 against the ceilings (under
    load, and idle); then the run's throughput."""
    ceiling = statistics.median(run.probe_times) if run.probe_times else float("nan")
    idle_ceiling = statistics.median(idle)
    print(
        f"{'page':42} {'n':>6} {'p50':>8} {'p95':>8} {'max':>8} {'errors':>6} "
        f"{'p50/ceiling':>11} {'p50/idle':>9}"
    )
    rows = [("healthz", "/healthz, trivial view (ceiling, under load)", run.probe_times)]
    rows += [(page, label, times[page]) for page, label in PAGES.items()]
    for page, label, values in rows:
        count = len(values)
        failed = len(run.probe_errors if page == "healthz" else errors[page])
        if not count:
            print(f"{label:42} {0:>6} {'':>8} {'':>8} {'':>8} {failed:>6}")
            continue
        p50 = statistics.median(values)
        print(
            f"{label:42} {count:>6} {p50:>8.1f} {percentile(values, 0.95):>8.1f} "
            f"{max(values):>8.1f} {failed:>6} {p50 / ceiling:>11.2f} {p50 / idle_ceiling:>9.0f}"
        )
    print(
        f"/healthz alone before the users started (idle ceiling): p50={idle_ceiling:.2f} ms "
        f"p95={percentile(idle, 0.95):.2f} ms (200 requests)"
    )
    requests = sum(len(values) for values in times.values())
    states, elapsed = run.states, run.elapsed
    meetings = sum(len(state["logged"]) for state in states)
    print(
        f"{requests} requests in {elapsed:.1f} s: {requests / elapsed:.1f} requests/s "
        f"(plus {len(run.probe_times)} probes); {sum(state['loops'] for state in states)} "
        f"loops completed ({sum(state['failed_loops'] for state in states)} broken off); "
        f"{meetings} meetings logged ({meetings / elapsed * 60:.0f}/min) with "
        f"{sum(state['signals'] for state in states)} signals"
    )


def database_adds_up(before: dict[str, int], tag: str, states: list[UserState]) -> bool:
    """Whether the database holds every meeting the server accepted, once, with its signals
    (each check printed)."""
    meetings = sum(len(state["logged"]) for state in states)
    signals = sum(state["signals"] for state in states)
    after = db_counts(tag)
    checks = {
        "interactions in the database": (after["interactions"] - before["interactions"], meetings),
        "signals in the database": (after["signals"] - before["signals"], signals),
        "this run's tagged meetings": (after["tagged"], meetings),
        "distinct tagged meetings (none doubled)": (after["tagged_distinct"], meetings),
        "signals on this run's meetings": (after["tagged_signals"], signals),
    }
    lost = False
    for name, (found, expected) in checks.items():
        ok = found == expected
        lost |= not ok
        print(f"check: {name}: +{found}, expected +{expected}: {'ok' if ok else 'MISMATCH'}")
    return not lost


def print_errors(errors: dict[str, list[str]], probe_errors: list[str]) -> None:
    """The first ten errors of each page, and how many more there were."""
    for page, messages in [*errors.items(), ("healthz", probe_errors)]:
        for message in messages[:10]:
            print(f"ERROR {PAGES.get(page, page)}: {message}")
        if len(messages) > 10:
            print(f"ERROR {PAGES.get(page, page)}: ... and {len(messages) - 10} more")


if __name__ == "__main__":
    main()
