"""Fixtures for browser tests: the real service (gunicorn) and headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kg serve` (gunicorn) on 127.0.0.1 over a freshly loaded catalogue; stopped after."""
    store = tmp_path_factory.mktemp("live") / "store"
    env = {**os.environ, "KG_STORE": str(store), "KG_PORT": str(free_port()), "KG_WORKERS": "1"}
    kg = [sys.executable, "-m", "kg.cli"]
    subprocess.run([*kg, "load"], env=env, check=True, capture_output=True)
    log = (store.parent / "server.log").open("w")
    server = subprocess.Popen([*kg, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['KG_PORT']}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (scripts/install-system-packages.sh installs it)")
        pytest.skip(f"{CHROMIUM} is absent: run scripts/install-system-packages.sh")
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def in_browser(test: Callable[[Any], None]) -> None:
    """Run ``test(page)`` with a fresh headless Chromium page in a thread of its own
    (Playwright's sync API allows one instance per thread; the session fixture above may
    hold the main thread's)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (scripts/install-system-packages.sh installs it)")
        pytest.skip(f"{CHROMIUM} is absent: run scripts/install-system-packages.sh")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    test(browser.new_page(viewport={"width": 1280, "height": 1000}))
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
