"""The try-it page on a mixed-type table model, in a real headless Chromium against `lambdaserve serve`:
the page offers a record from the training sample; a person types a string column and reads the
pipeline's own prediction."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import models
from tests.cli.test_try_it_page import _serve, _stop, browser  # noqa: F401  (browser: a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.integration]
ROW = {"age": 58, "income": 99000.5, "city": "Nice"}


def test_a_person_fills_in_a_record_with_a_string_column(tmp_path: Path, browser) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    made = models.sklearn_table(tmp_path)
    lambdaserve = str(Path(sys.executable).with_name("lambdaserve"))
    args = ["init", "--model", str(made.path), "--sample", str(made.extra["sample"])]
    init = subprocess.run([lambdaserve, *args], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert init.returncode == 0, init.stderr
    toml = tmp_path / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace("docs = false", "docs = true"))
    expected = int(made.expected["label"][made.rows.index(ROW)])

    proc, url = _serve(tmp_path)
    try:
        browser.get(url)
        wait = WebDriverWait(browser, 60)
        op = "#operations-default-predict"
        wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, f"{op} .opblock-summary"))).click()
        body = wait.until(ready.presence_of_element_located(
            (By.CSS_SELECTOR, f"{op} textarea.body-param__text")))
        # the spec's example: a record from the sample, each column named
        assert json.loads(body.get_attribute("value")) == {
            "data": [{"age": 25, "income": 30000.0, "city": "Paris"}]}
        body.clear()
        body.send_keys(json.dumps({"data": [ROW]}))
        browser.find_element(By.CSS_SELECTOR, f"{op} button.execute").click()
        shown = wait.until(ready.presence_of_element_located(
            (By.CSS_SELECTOR, f"{op} .live-responses-table .response-col_description pre")))
        status = browser.find_element(
            By.CSS_SELECTOR, f"{op} .live-responses-table tr.response .response-col_status").text
        answer = shown.text
    finally:
        _stop(proc)
    assert status.strip() == "200"
    assert json.loads(answer) == {"predictions": [expected]}
