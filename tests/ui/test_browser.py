"""The explorer in a real headless browser: pages load, filters work, progress advances,
hostile model output shows as text and runs nothing."""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.ui import data


def test_runs_page_lists_runs_newest_first_and_filters_them(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/runs")
    labels = page.locator("table.runs tbody tr td:nth-child(4)").all_inner_texts()
    assert labels == ["beta-live", "alpha-v2", "alpha-v1"]
    page.select_option("select[name=status]", "done")
    page.fill("input[name=model]", "alpha <")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"status=done"))
    assert page.locator("table.runs tbody tr").count() == 2
    assert page.locator("table.runs tbody").inner_text().count("Alpha <FC>") == 2


def test_live_progress_advances_while_results_arrive(
    page: Any, base_url: str, ui_engine: Engine
) -> None:
    page.goto(f"{base_url}/runs/{data.RUNNING}")
    done = page.locator(".live [data-field=done]")
    assert done.inner_text() == "12"
    assert page.locator("table").filter(has_text="gpu-host-2:77").count() == 1  # shards
    assert page.get_by_text("gpu-host-1:4242").count() >= 1  # workers
    with Session(ui_engine) as session:
        session.add_all([data.running_result(i) for i in range(12, 17)])
        session.commit()
    deadline = time.monotonic() + 15
    while done.inner_text() != "17" and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert done.inner_text() == "17"
    assert re.fullmatch(r"\d+\.\d/s", page.locator(".live [data-field=rate]").inner_text())
    assert page.locator(".live [data-field=eta]").inner_text() != "—"
    bar = page.locator(".live progress").evaluate("e => [e.value, e.max]")
    assert bar == [17, 40]


def test_leaderboard_sorts_toggles_and_links_every_cell_to_cases(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/leaderboard")
    assert page.locator("table.board tbody tr").count() == 1  # latest per model
    page.click("#toggle-latest")
    page.wait_for_url(re.compile(r"latest=0"))
    assert page.locator("table.board tbody tr").count() == 2
    headers = page.locator("table.board thead th").all_inner_texts()
    assert [h.rstrip(" ▼▲") for h in headers[:4]] == ["#", "Model", "Run", "Overall"]
    page.click("table.board thead th >> text=Run")  # not sortable: stays plain text
    page.click("table.board thead a >> text=Errors")
    page.wait_for_url(re.compile(r"sort=errors"))
    first = page.locator("table.board tbody tr").first.locator("td").nth(2).inner_text()
    assert first == "bbbbbbbb"  # the run with an inference error first
    assert page.locator("svg[aria-label='Per-category accuracy'] rect").count() > 2
    assert page.locator("svg[aria-label='Score history'] circle").count() == 2
    page.locator("table.board tbody tr").first.locator("td").nth(3).locator("a").click()
    page.wait_for_url(re.compile(r"/runs/bbbbbbbb-.*/cases\?category="))
    assert page.locator("#case-count").inner_text().startswith("15 cases")


def test_case_filters_narrow_the_list(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/runs/alpha-v2/cases")
    assert page.locator("#case-count").inner_text().startswith("15 cases")
    page.select_option("select[name=verdict]", "error")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"verdict=error"))
    assert page.locator("table.cases tbody tr").all_inner_texts()[0].startswith("simple_python_9")
    page.goto(f"{base_url}/runs/alpha-v2/cases?category=irrelevance")
    assert page.locator("table.cases tbody tr").count() == 4
    page.goto(f"{base_url}/runs/alpha-v2/cases")
    page.select_option("select[name=error]", "multi_turn:instance_state_mismatch")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"error=multi_turn"))
    assert page.locator("table.cases tbody tr").count() == 1
    page.goto(f"{base_url}/runs/alpha-v1/cases")
    page.fill("input[name=q]", "onerror")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"q=onerror"))
    assert page.locator("table.cases tbody tr").all_inner_texts()[0].startswith("simple_python_8")


def test_hostile_output_is_text_and_no_script_runs(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/runs/alpha-v1/cases/simple_python_8")
    raw = page.locator("pre.raw")
    assert raw.inner_text() == data.HOSTILE
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main script, main img, main svg[onload]").count() == 0
    assert page.locator("b", has_text="bold?").count() == 0
    assert "value_error" not in page.content()
    assert "ast_decoder:decoder_failed" in page.locator(".verdict-box").inner_text()
    page.goto(f"{base_url}/runs/alpha-v2/cases/simple_python_8")  # a 5 MB output
    note = page.locator("p.cut").first.inner_text()
    assert "of 5,242,880 characters" in note
    assert len(page.locator("pre.raw").inner_text()) == 20_000


def test_run_page_counts_truncations_and_protocol_deviations(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/runs/alpha-v2")
    main = page.locator("main").inner_text()
    assert "truncation\tinference:output_truncated\t1" in main
    assert "http://127.0.0.1:8000/v1\targuments_object\t1" in main
    page.click("text=inference:output_truncated")
    page.wait_for_url(re.compile(r"error=inference"))
    page.click("table.cases a >> text=simple_python_5")
    page.wait_for_url(re.compile(r"/cases/simple_python_5"))
    reply = page.locator(".verdict-box .reply").inner_text()
    assert "finish reason length" in reply and "deviations: arguments_object" in reply


def test_multi_turn_case_shows_every_turn_step_and_tool_result(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/runs/alpha-v2/cases/multi_turn_base_0")
    turns = page.locator("section.turn")
    assert turns.count() == 2
    first = turns.nth(0).inner_text()
    assert "Go to the docs folder." in first and '"folder": "tmp"' in first
    assert "Done." in first and "TOOL RESULTS" in first.upper()
    assert "Nothing to list." in turns.nth(1).inner_text()
    side = page.locator(".side").inner_text()
    assert "cd(folder='docs')" in side and "cd(folder='tmp')" in side  # expected vs decoded
    assert "instance_state_mismatch" in page.locator(".verdict-box").inner_text()


def test_compare_lists_flips_with_the_paired_test_and_shows_both_outputs(
    page: Any, base_url: str
) -> None:
    page.goto(f"{base_url}/compare")
    page.fill("input[name=a]", "alpha-v1")
    page.fill("input[name=b]", "alpha-v2")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r"a=alpha-v1"))
    body = page.locator("main").inner_text()
    assert "Regressions (right in A, wrong in B): 3" in body
    assert "Improvements (wrong in A, right in B): 2" in body
    row = page.locator("table.compare tr", has_text="simple_python").inner_text().split("\t")
    assert row[1:4] == ["50.00%", "60.00%", "+10.00 pp"]
    na = page.locator("table.compare tr", has_text="Non-Live AST Acc").inner_text().split("\t")
    assert na[1:4] == ["N/A", "N/A", "—"]  # a member of the section did not run
    page.click("table.flips a >> text=multi_turn_base_0")
    page.wait_for_url(re.compile(r"/compare/case\?"))
    panes = page.locator(".side > div")
    assert panes.count() == 2
    assert "I am in docs." in panes.nth(0).inner_text()
    assert "Nothing to list." in panes.nth(1).inner_text()


def test_the_explorer_only_reads(page: Any, base_url: str) -> None:
    response = page.request.post(f"{base_url}/runs")
    assert response.status == 405
    head = page.request.get(f"{base_url}/runs").headers
    assert "script-src 'self'" in head["content-security-policy"]
