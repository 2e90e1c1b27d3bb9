"""Smoke test of a running vatcrm: the login page answers, and the demo account printed by `make run` signs in.

Usage: smoke_login.py BASE_URL RUN_LOG
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import requests

DEMO_LINE = re.compile(r"Demo account \w+: (\S+) / (\S+)")


def wait_for(url: str, deadline: float) -> requests.Response:
    while True:
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer 200 in time")
        time.sleep(1)


def main(base_url: str, run_log: str) -> None:
    deadline = time.monotonic() + 600  # the first `make run` installs the virtualenv
    login_url = f"{base_url}/accounts/login/"
    wait_for(login_url, deadline)
    print(f"{login_url} answers 200")

    match = DEMO_LINE.search(Path(run_log).read_text())
    if not match:
        raise SystemExit("make run did not print the demo account")
    email, password = match.groups()

    session = requests.Session()
    session.get(login_url, timeout=10)
    response = session.post(
        login_url,
        data={"login": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": login_url},
        timeout=10,
    )
    response.raise_for_status()
    # Signing in lands on the dashboard (the home page); the CRM list is one link away.
    if "/accounts/" in response.url:
        raise SystemExit(f"demo sign-in failed: ended at {response.url}")
    crm = session.get(f"{base_url}/crm/", timeout=10)
    if crm.status_code != 200 or not crm.url.rstrip("/").endswith("/crm") or "Counterparties" not in crm.text:
        raise SystemExit(f"demo account signed in but the CRM list answered {crm.status_code} at {crm.url}")
    print(f"demo account {email} signed in, landed on {response.url} and sees the CRM")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
