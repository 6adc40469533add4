"""The practice pages in a real browser (headless Chromium, from file://): math typeset as MathML,
answers checked exactly, each named mistake told apart, new variants on request, keyboard use,
a phone-width layout, and no network request at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from generator.choices import same_value
from generator.export.pools import accepted_texts
from generator.families import get_family
from generator.families.base import Answer, Variant
from generator.responses import DecimalRule
from generator.seeding import stream
from tests.browser import requested_urls

pytestmark = pytest.mark.browser


@pytest.fixture
def driver(chromium):
    return chromium


@pytest.fixture
def page(driver, lecture14_site):
    driver.set_window_size(1200, 900)
    driver.get((lecture14_site / "tags" / "lecture-14.html").as_uri())
    return driver


def article(driver, family: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f'article.problem[data-family="{family}"]')


def shown_variant(element: WebElement) -> Variant:
    """The variant the article shows, regenerated from its data-params alone (all pinned)."""
    family = get_family(element.get_attribute("data-family"))
    params = json.loads(element.get_attribute("data-params"))
    return family.generate(stream(0, "browser-test"), family.parse_params(params))


def feedback_after(driver, element: WebElement, typed: str) -> WebElement:
    box = element.find_element(By.CSS_SELECTOR, "input[name=answer]")
    box.clear()
    box.send_keys(typed)
    element.find_element(By.CSS_SELECTOR, "button.check").click()
    return element.find_element(By.CSS_SELECTOR, ".feedback")


def typed_forms(answer: Answer, rule: DecimalRule) -> list[str]:
    """The correct answer as students type it: exact, bracketed, transposed, decimals, − signs."""
    if answer.kind == "number":
        decimals = accepted_texts(answer.value, rule)
        return [answer.cell(), f" {decimals[-1]} ", f"({answer.cell()})"]
    values = list(answer.value)
    decimals = [accepted_texts(v, rule)[-1] for v in values]
    exact = [str(v) for v in values]
    return [
        answer.cell(),
        "[" + ",".join(exact) + "]",
        ", ".join(exact),
        "(" + ", ".join(decimals) + ")^T",
        "(" + "; ".join(e.replace("-", "\u2212") for e in exact) + ")",
    ]


def cell(kind: str, value) -> str:
    return Answer(kind, value).cell()


@pytest.mark.parametrize("family", ["gradient-descent-step", "sgd-minibatch-step", "vanishing-gradient-chain"])
def test_correct_answer_in_several_forms_is_accepted(page, family):
    element = article(page, family)
    rule = DecimalRule(**json.loads(element.get_attribute("data-rule")))
    for _ in range(3):
        answer = shown_variant(element).solution.answer
        for typed in typed_forms(answer, rule):
            feedback = feedback_after(page, element, typed)
            assert feedback.get_attribute("data-status") == "correct", (typed, feedback.text)
            assert feedback.text.startswith("Correct")
        # The check opened the worked solution of this variant.
        solution = element.find_element(By.CSS_SELECTOR, ".solution-text")
        assert solution.is_displayed() and "Solution" in solution.text
        element.find_element(By.CSS_SELECTOR, "button.another").click()


@pytest.mark.parametrize("family", ["gradient-descent-step", "sgd-minibatch-step", "vanishing-gradient-chain"])
def test_each_named_mistake_gets_its_own_message(page, family):
    """Walking through the variants, every named mistake the page declares is typed (wherever its
    value differs from the answer) and answered with that mistake's own explanation."""
    element = article(page, family)
    declared = set(page.execute_script(
        "return [...arguments[0].querySelector('template.mistakes').content"
        ".querySelectorAll('[data-mistake]')].map(p => p.dataset.mistake)", element))
    messages: dict[str, str] = {}
    total = len(element.find_elements(By.CSS_SELECTOR, "template.variant"))
    for _ in range(total):
        variant = shown_variant(element)
        answer = variant.solution.answer
        wrong = variant.family.misconceptions(variant.params, variant.solution)
        for name, value in wrong.items():
            if name in messages or same_value(value, answer.value):
                continue
            same = [n for n, v in wrong.items() if same_value(v, value)]
            feedback = feedback_after(page, element, cell(answer.kind, value))
            assert feedback.get_attribute("data-status") in ("wrong", "partial")
            assert feedback.get_attribute("data-mistakes").split() == same
            explanation = variant.family.mistake_explanation(name).split("$")[0].strip()
            assert explanation in feedback.text
            if len(same) == 1:
                messages[name] = feedback.text
        if set(messages) >= declared:
            break
        element.find_element(By.CSS_SELECTOR, "button.another").click()
    assert set(messages) == declared and declared
    assert len(set(messages.values())) == len(messages)  # no two mistakes share a message


def test_wrong_and_unreadable_answers(page):
    """An unreadable answer is explained and reveals nothing; a half-right vector says so."""
    element = article(page, "gradient-descent-step")
    answer = shown_variant(element).solution.answer
    feedback = feedback_after(page, element, "(x, 9)")
    assert feedback.get_attribute("data-status") == "unreadable"
    assert "has component 1 ('x'), which is not a number" in feedback.text
    feedback = feedback_after(page, element, "(1, 2, 3)")
    assert "has 3 numbers; expected 2" in feedback.text
    assert not element.find_element(By.CSS_SELECTOR, ".solution-text").is_displayed()
    off = (answer.value[0] + 1000, answer.value[1])
    feedback = feedback_after(page, element, cell("vector", off))
    assert feedback.get_attribute("data-status") == "partial" and "1 of 2" in feedback.text
    assert element.find_element(By.CSS_SELECTOR, ".solution-text").is_displayed()


@pytest.mark.parametrize("family", ["vanishing-gradient-definition", "sgd-direction"])
def test_choice_and_true_false_buttons(page, family):
    element = article(page, family)
    variant = shown_variant(element)
    correct = variant.solution.answer.cell()
    options = element.find_elements(By.CSS_SELECTOR, "button.option")
    assert [o.get_attribute("data-value") for o in options] == (
        ["True", "False"] if family == "sgd-direction" else [c.letter for c in variant.solution.steps["choices"]]
    )
    for option in options:
        option.click()
        assert option.get_attribute("aria-pressed") == "true"
        element.find_element(By.CSS_SELECTOR, "button.check").click()
        feedback = element.find_element(By.CSS_SELECTOR, ".feedback")
        if option.get_attribute("data-value") == correct:
            assert feedback.get_attribute("data-status") == "correct"
        else:
            assert feedback.get_attribute("data-status") == "wrong"
            steps = variant.solution.steps
            note = (
                steps["statement"].explanation
                if family == "sgd-direction"
                else next(c.note for c in steps["choices"] if c.letter == option.get_attribute("data-value"))
            )
            assert note.split("$")[0][:60].strip() in feedback.text


def test_another_variant_changes_numbers_and_params(page):
    element = article(page, "gradient-descent-step")
    templates = page.execute_script(
        "return [...arguments[0].querySelectorAll('template.variant')].map(t => t.dataset.params)", element)
    seen = [element.get_attribute("data-params")]
    statements = [element.find_element(By.CSS_SELECTOR, ".statement").text]
    for _ in range(3):
        element.find_element(By.CSS_SELECTOR, "button.another").click()
        seen.append(element.get_attribute("data-params"))
        statements.append(element.find_element(By.CSS_SELECTOR, ".statement").text)
    assert seen == templates[:4] and len(set(seen)) == 4
    # The worked solution shown is the fourth variant's own.
    assert page.execute_script(
        "const a = arguments[0];"
        "return a.querySelector('.solution-slot .solution-text').innerHTML === "
        "a.querySelectorAll('template.variant')[3].content.querySelector('.solution-text').innerHTML",
        element,
    )
    assert len(set(statements)) == 4
    assert "Variant 4 of 50" in element.find_element(By.CSS_SELECTOR, ".count").text
    assert element.find_element(By.CSS_SELECTOR, "input[name=answer]").get_attribute("value") == ""


def test_math_is_mathml_and_no_latex_is_visible(page):
    for button in page.find_elements(By.CSS_SELECTOR, "button.solution"):
        button.click()  # the solutions too
    text = page.execute_script("return document.body.innerText")
    assert "\\frac" not in text and "\\(" not in text and "$" not in text and "\\vec" not in text
    for family in ("gradient-descent-step", "sgd-minibatch-step", "vanishing-gradient-chain"):
        element = article(page, family)
        maths = element.find_elements(By.CSS_SELECTOR, ".statement math")
        assert maths and all(m.size["width"] > 0 for m in maths)
        assert element.find_elements(By.CSS_SELECTOR, ".solution-text math mfrac, .solution-text math mtable")


def test_controls_are_labelled_and_announced(page):
    for element in page.find_elements(By.CSS_SELECTOR, "article.problem"):
        feedback = element.find_element(By.CSS_SELECTOR, ".feedback")
        assert feedback.get_attribute("aria-live") == "polite" and feedback.get_attribute("role") == "status"
        for box in element.find_elements(By.CSS_SELECTOR, "input[name=answer]"):
            labels = page.execute_script("return [...arguments[0].labels].map(l => l.textContent)", box)
            assert labels == ["Your answer"]
        for name in ("check", "solution", "another"):
            assert element.find_element(By.CSS_SELECTOR, f"button.{name}").text


def focus_by_tab(driver, target: WebElement, limit: int = 200) -> None:
    driver.find_element(By.TAG_NAME, "body").click()
    for _ in range(limit):
        if driver.switch_to.active_element == target:
            return
        driver.switch_to.active_element.send_keys(Keys.TAB)
    raise AssertionError("the control cannot be reached with Tab")


def test_keyboard_only(page):
    element = article(page, "gradient-descent-step")
    box = element.find_element(By.CSS_SELECTOR, "input[name=answer]")
    focus_by_tab(page, box)
    box.send_keys(shown_variant(element).solution.answer.cell() + Keys.ENTER)
    assert element.find_element(By.CSS_SELECTOR, ".feedback").get_attribute("data-status") == "correct"
    # Tab to "Another variant", press Enter: new params, focus stays on the button.
    another = element.find_element(By.CSS_SELECTOR, "button.another")
    before = element.get_attribute("data-params")
    focus_by_tab(page, another)
    another.send_keys(Keys.ENTER)
    assert element.get_attribute("data-params") != before
    assert page.switch_to.active_element == another
    # True/false: Space picks an option, Tab reaches Check, Enter checks.
    tf = article(page, "sgd-direction")
    correct = shown_variant(tf).solution.answer.cell()
    option = tf.find_element(By.CSS_SELECTOR, f'button.option[data-value="{correct}"]')
    focus_by_tab(page, option)
    option.send_keys(Keys.SPACE)
    check = tf.find_element(By.CSS_SELECTOR, "button.check")
    focus_by_tab(page, check)
    check.send_keys(Keys.ENTER)
    assert tf.find_element(By.CSS_SELECTOR, ".feedback").get_attribute("data-status") == "correct"


def test_without_javascript_each_first_variant_shows_its_solution_and_no_dead_control(
    driver, lecture14_site
):
    """The page says so without JavaScript: the first variant and its solution are shown. On
    1be3fcf every solution stayed hidden and Check, Solution and Another variant did nothing."""
    driver.set_window_size(1200, 900)
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        driver.get((lecture14_site / "tags" / "lecture-14.html").as_uri())
        main_text = driver.find_element(By.TAG_NAME, "main").text
        assert "the first variant and its solution are shown below" in main_text
        articles = driver.find_elements(By.CSS_SELECTOR, "article.problem")
        assert articles
        for element in articles:
            solution = element.find_element(By.CSS_SELECTOR, ".solution-slot .solution-text")
            assert solution.is_displayed() and solution.text.startswith("Solution\n")
            assert len(solution.text) > 40  # the worked steps, not the heading alone
            for hidden in element.find_elements(By.CSS_SELECTOR, ".controls, .feedback, .free"):
                assert not hidden.is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, "p.with-script").is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_nothing_is_requested_from_the_network(driver, lecture14_site):
    requested_urls(driver)  # drop earlier entries
    driver.get((lecture14_site / "index.html").as_uri())
    driver.find_element(By.LINK_TEXT, "lecture-14").click()
    element = article(driver, "gradient-descent-step")
    feedback_after(driver, element, "(1, 2)")
    element.find_element(By.CSS_SELECTOR, "button.another").click()
    urls = requested_urls(driver)
    assert urls and all(url.startswith("file://") for url in urls), urls
    assert {Path(u).name for u in urls} >= {"index.html", "lecture-14.html", "answers.js", "practice.js", "practice.css"}
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors


@pytest.mark.parametrize(("name", "width"), [("desktop", 1200), ("phone", 390)])
def test_screenshots_and_phone_width(driver, lecture14_site, tmp_path, name, width):
    """Screenshots for a person to look at (tmp_path); at phone width nothing scrolls sideways."""
    driver.set_window_size(width, 1400)
    driver.get((lecture14_site / "tags" / "lecture-14.html").as_uri())
    element = article(driver, "gradient-descent-step")
    feedback_after(driver, element, "(1, 2)")
    driver.execute_script("arguments[0].scrollIntoView()", element)
    path = tmp_path / f"site-{name}.png"
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 10_000
    page_width = driver.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= driver.execute_script("return window.innerWidth")
