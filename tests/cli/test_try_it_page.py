"""The try-it page in a real headless Chromium against a real `lambdaserve serve` on the iris example.

A person's steps: open the page, open POST /predict, type a row, press Execute, read the answer;
it must be the example model's own prediction, through the REST stage and a Function URL alike.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples import make_example
from tests.helpers import require_tool, stop_process

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROW = [6.7, 3.0, 5.2, 2.3]
KEY = "try-it-key"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,1400")


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_example("iris", tmp_path_factory.mktemp("iris"))
    toml = folder / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace("docs = false", "docs = true"))
    return folder


@pytest.fixture(scope="module")
def keyed_iris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_example("iris", tmp_path_factory.mktemp("iris-key"))
    toml = folder / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace("docs = false", "docs = true")
                    .replace('auth = "none"', 'auth = "api_key"'))
    return folder


def _execute(browser: object, row: list[float]) -> tuple[str, str]:
    """Open POST /predict, type the row, press Execute: (status shown, response body shown)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    op = "#operations-default-predict"
    wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, f"{op} .opblock-summary"))).click()
    body = wait.until(ready.presence_of_element_located(
        (By.CSS_SELECTOR, f"{op} textarea.body-param__text")))
    assert json.loads(body.get_attribute("value")) == {"data": [[0, 0, 0, 0]]}  # the spec's example
    body.clear()
    body.send_keys(json.dumps({"data": [row]}))
    browser.find_element(By.CSS_SELECTOR, f"{op} button.execute").click()
    shown = wait.until(ready.presence_of_element_located(
        (By.CSS_SELECTOR, f"{op} .live-responses-table .response-col_description pre")))
    status = browser.find_element(
        By.CSS_SELECTOR, f"{op} .live-responses-table tr.response .response-col_status").text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", shown)
    return status.strip(), shown.text


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = require_tool("chromium")
    driver_path = require_tool("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.TemporaryDirectory(prefix="lambdaserve-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile.name}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


def _serve(project: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "lambdaserve.cli.main", "serve", "--port", "0",
                             "--config", str(project), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project,
                            env={**os.environ, "LAMBDASERVE_API_KEYS": KEY})
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(2)]
    found = re.search(r"Try-it page: (http://127\.0\.0\.1:\d+\S*)", lines[1])
    if not found:
        proc.kill()
        raise AssertionError(f"no try-it URL in {lines!r}: {proc.communicate()[1][-2000:]}")
    return proc, found[1]


def _stop(proc: subprocess.Popen[str]) -> str:
    return stop_process(proc) or ""


def _assert_assets_came_from_the_function(err: str) -> None:
    """Each asset came from the function itself: nothing from a CDN, nothing missing."""
    bundle = re.search(r'"GET \S*/docs/5\.35\.0/swagger-ui-bundle\.js HTTP/1\.1" 200 (\d+)', err)
    assert bundle, err[-3000:]
    assert int(bundle[1]) < 600_000  # the browser got it gzipped (1.7 MB plain), decoded by the front
    assert re.search(r'"GET \S*/openapi\.json HTTP/1\.1" 200', err)
    assert re.search(r'"POST \S*/predict HTTP/1\.1" 200', err)


def _request_url(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.CSS_SELECTOR, "#operations-default-predict .request-url pre").text)


# The REST stage's page is walked by the API-key flow below (without, then with the key): one
# flow per front, not the same steps twice.
def test_a_person_fills_in_a_row_and_reads_the_models_prediction_through_a_function_url(
        iris, browser, tmp_path):
    import joblib

    expected = int(joblib.load(iris / "model.joblib").predict([ROW])[0])
    proc, url = _serve(iris, "--front", "url")
    try:
        assert url.endswith("/docs") and "/prod/" not in url
        browser.get(url)
        status, shown = _execute(browser, ROW)
        request_url = _request_url(browser)
        browser.save_screenshot(str(tmp_path / "try-it.png"))  # for a person to look at; not kept
    finally:
        err = _stop(proc)
    assert status == "200"
    assert request_url == url.removesuffix("/docs") + "/predict"  # Execute stayed on this front
    assert json.loads(shown) == {"predictions": [expected]}
    _assert_assets_came_from_the_function(err)


def test_with_api_key_auth_a_person_authorizes_then_predicts_on_the_rest_stage(keyed_iris, browser, tmp_path):
    import joblib
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    expected = int(joblib.load(keyed_iris / "model.joblib").predict([ROW])[0])
    proc, url = _serve(keyed_iris)
    try:
        assert url.endswith("/prod/docs")
        browser.get(url)  # the page loads without a key: a browser cannot send one
        wait = WebDriverWait(browser, 60)
        # for parity: without the key, API Gateway REST's own 403 reaches the page.
        status, shown = _execute(browser, ROW)
        assert (status, json.loads(shown)) == ("403", {"message": "Forbidden"})
        browser.get(url)
        wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, "button.authorize"))).click()
        field = wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".auth-container input")))
        field.send_keys(KEY)
        browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
        browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done").click()
        status, shown = _execute(browser, ROW)
        request_url = _request_url(browser)
        browser.save_screenshot(str(tmp_path / "try-it-key.png"))
    finally:
        err = _stop(proc)
    assert (status, json.loads(shown)) == ("200", {"predictions": [expected]})
    assert request_url == url.removesuffix("/docs") + "/predict"  # Execute stayed on the stage
    assert err.count('integrationError="no valid x-api-key"') == 1
    _assert_assets_came_from_the_function(err)
