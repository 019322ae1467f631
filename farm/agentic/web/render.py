r"""The three ``fetch_url_content`` modes, as BFCL renders a page in each.

- ``raw``: the decoded HTML as is;
- ``markdown``: ``html2text.HTML2Text().handle(html)`` with html2text's defaults;
- ``truncate``: BeautifulSoup (``html.parser``) with ``<script>`` and ``<style>`` removed,
  ``get_text(separator="\n", strip=True)``.
"""

from __future__ import annotations

MODES: tuple[str, ...] = ("raw", "markdown", "truncate")


def render(html: str, mode: str) -> str:
    """The page's content in ``mode``.

    Raises:
        ValueError: an unknown mode (BFCL's text: ``Unsupported mode: <mode>``).
    """
    if mode == "raw":
        return html
    import html2text  # the renderers are imported when a page is rendered
    from bs4 import BeautifulSoup

    if mode == "markdown":
        return html2text.HTML2Text().handle(html)
    if mode == "truncate":
        soup = BeautifulSoup(html, "html.parser")
        for tag in soup(["script", "style"]):
            tag.extract()
        return soup.get_text(separator="\n", strip=True)
    raise ValueError(f"Unsupported mode: {mode}")
