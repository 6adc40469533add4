"""Headless Chromium for the practice-site tests: Debian's ``chromium`` and ``chromium-driver``
(scripts/install-browser), driven by selenium with the network-free flags the machine needs.

Selenium is given both paths, so it never looks for (or downloads) a driver of its own.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

#: What scripts/install-browser installs (a test keeps the two equal).
DEBIAN_PACKAGES = ("chromium", "chromium-driver")
BROWSERS = ("chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def browser_paths() -> tuple[str | None, str | None]:
    browser = next((p for p in map(shutil.which, BROWSERS) if p), None)
    return browser, shutil.which("chromedriver")


def missing_tools() -> list[str]:
    browser, driver = browser_paths()
    return [name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path]


def start_driver(profile: Path) -> Any:
    """A headless Chromium with a fresh profile that logs every network request it makes."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1200,900")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser requested since the log was last read (the DevTools network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
