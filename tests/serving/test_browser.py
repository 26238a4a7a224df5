"""The demo page in headless Chromium: draw a stroke, read the bars, take a screenshot.

Uses Debian's chromium + chromium-driver (never a downloaded browser) through Selenium, against
`python -m flowzero.serving` on a loopback port. Skipped, with the reason, where any of them is
missing. Set FLOWZERO_SCREENSHOT_DIR to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from bench.deployment import REPO, free_port

CHROMIUM = next(
    (
        p
        for p in ("/usr/bin/chromium", shutil.which("chromium") or "")
        if p and os.access(p, os.X_OK)
    ),
    None,
)
DRIVER = next(
    (
        p
        for p in ("/usr/bin/chromedriver", shutil.which("chromedriver") or "")
        if p and os.access(p, os.X_OK)
    ),
    None,
)

pytestmark = [
    pytest.mark.slow,  # a headless browser
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        DRIVER is None, reason="chromedriver is not installed (apt-get install chromium-driver)"
    ),
]


@pytest.fixture(scope="module")
def server(trained, tmp_path_factory):
    pytest.importorskip("uvicorn", reason="uvicorn is not installed (the serving extra)")
    port = free_port()
    log = tmp_path_factory.mktemp("browser") / "server.log"
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "wb") as out:
        p = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flowzero.serving",
                "--model-base-path",
                trained.base,
                "--model-name",
                "mnist",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if p.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        p.kill()
        pytest.fail(f"the server did not start: {log.read_text()}")
    yield url
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed (pip install selenium)"
    )
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--window-size=900,760",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def _wait(fn, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_draw_a_digit_and_read_the_bars(server, browser, trained, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    _wait(
        lambda: browser.execute_script("return document.body.dataset.ready === '1'"),
        what="the page to read the model's metadata",
    )
    pad = browser.find_element(By.ID, "pad")
    # A "7": a bar across the top, then down to the lower left (offsets from the centre).
    chain = ActionChains(browser).move_to_element_with_offset(pad, -70, -90).click_and_hold()
    for dx, dy in [(35, 0)] * 4 + [(-10, 25)] * 8:
        chain = chain.move_by_offset(dx, dy).pause(0.01)
    chain.release().perform()
    _wait(
        lambda: browser.execute_script(
            "return window.flowzero.requests > 0 && window.flowzero.lastProbabilities !== null"
        ),
        what="a prediction",
    )
    time.sleep(0.5)  # let the last (newest) drawing's request finish
    _wait(lambda: browser.execute_script("return !document.hidden"), what="page")
    state = browser.execute_script(
        "return {x: window.flowzero.lastInput, errors: window.flowzero.errors,"
        " bars: Array.from(document.querySelectorAll('.bar')).map(b => b.dataset.prob),"
        " pred: document.getElementById('prediction').textContent}"
    )
    assert state["errors"] == 0
    x = np.float32(state["x"]).reshape(1, 784)
    assert 20 < int((x > 0.1).sum()) < 400, "the 28x28 input should hold a stroke"
    assert x.max() <= 1.0 and x.min() >= 0.0
    shown = np.float32([float(p) for p in state["bars"]])
    want = trained.reference(x)["probabilities"][0]
    np.testing.assert_array_equal(shown, want)  # the bars are the served answer, exactly
    assert state["pred"] == str(int(np.argmax(want)))
    shot = tmp_path / "demo.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 5000
    keep = os.environ.get("FLOWZERO_SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(shot, os.path.join(keep, "demo.png"))
    # Clear resets the bars.
    browser.find_element(By.ID, "clear").click()
    assert browser.find_element(By.ID, "prediction").text == ""
