"""The HTML export: self-contained, and rendered by headless Chromium into a real picture."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.orm import Session

from farm.report.compare import history
from farm.report.html import render_html
from farm.report.queries import leaderboard
from tests.report import builders as b
from tests.report.png import decode

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1100, 1400


def _ensure_chromium() -> str:
    if not Path(CHROMIUM).exists():
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "chromium"], check=True, capture_output=True, env=env
        )
    assert shutil.which(CHROMIUM), "chromium could not be installed"
    return CHROMIUM


def _page(db_session: Session) -> str:
    suite = b.suite(db_session)
    for i, name in enumerate(("Alpha <FC>", "Beta & Co")):
        m = b.model(db_session, f"m{i}", name)
        for day in range(3):
            verdicts = {
                "simple_python": "1" * (3 + day + i) + "0" * (5 - day - i),
                "live_simple": "1" * (2 + day) + "0" * (6 - day),
                "multi_turn_base": "1" * (1 + i) + "0" * (7 - i),
            }
            cases = [c for cat, v in verdicts.items() for c in b.cases(cat, v)]
            b.run(db_session, m, suite, cases, day=day * 3 + i)
    rows = leaderboard(db_session)
    series = {r.display_name: history(db_session, model=r.model_key) for r in rows}
    return render_html(rows, series)


def test_html_is_one_self_contained_file_with_escaped_names(db_session: Session) -> None:
    page = _page(db_session)
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert not re.search(r"url\(", page)
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 2
    assert "Alpha &lt;FC&gt;" in page and "Beta &amp; Co" in page
    assert page.count("<polyline") == 2  # one history line per model
    assert page.count("<tr>") == 1 + 6


def test_headless_chromium_renders_the_table_and_charts(
    db_session: Session, tmp_path: Path
) -> None:
    html = tmp_path / "leaderboard.html"
    html.write_text(_page(db_session), encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [
            _ensure_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            f"--window-size={WIDTH},{HEIGHT}",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shot.exists(), proc.stderr[-2000:]
    image = decode(shot.read_bytes())
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    colours: set[tuple[int, ...]] = set()
    non_white = 0
    for y in range(0, HEIGHT, 2):
        for x in range(0, WIDTH, 2):
            px = image.pixel(x, y)
            colours.add(px)
            non_white += px != (255, 255, 255)
    assert len(colours) > 50
    assert non_white > 0.03 * (WIDTH // 2) * (HEIGHT // 2)
    # The first palette colour (bars, lines and legend of the first model) is on screen.
    assert (0x1F, 0x77, 0xB4) in colours
