"""Small agentic fixtures of our own: web and memory questions, docs, prompts, a chain."""

from __future__ import annotations

from typing import Any

from farm.suites.build import SuiteData
from farm.suites.case import Case

FORMAT = "Answer as {'answer': ..., 'context': ...}."
PROMPTS = {
    "MEMORY_AGENT_SETTINGS": {"travel": "You are a travel assistant."},
    "MEMORY_BACKEND_INSTRUCTION_CORE_ARCHIVAL": "{scenario_setting}\nCore:\n{memory_content}",
    "MEMORY_BACKEND_INSTRUCTION_UNIFIED": "{scenario_setting}\nMemory:\n{memory_content}",
}


def doc(name: str, **params: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"The {name} tool.",
        "parameters": {
            "type": "dict",
            "properties": {p: {"type": t, "description": p} for p, t in params.items()},
            "required": list(params)[:1],
        },
    }


WEB_DOCS = [
    doc("search_engine_query", keywords="string", max_results="integer", region="string"),
    doc("fetch_url_content", url="string", mode="string"),
]
KV_DOCS = [
    doc("archival_memory_add", key="string", value="string"),
    doc("archival_memory_key_search", query="string", k="integer"),
    doc("archival_memory_retrieve", key="string"),
]
VECTOR_DOCS = [
    doc("archival_memory_add", text="string"),
    doc("archival_memory_retrieve", query="string"),
]
REC_DOCS = [doc("memory_append", text="string"), doc("memory_retrieve")]
DOCS = {"kv": KV_DOCS, "vector": VECTOR_DOCS, "rec_sum": REC_DOCS}


def question(case_id: str, category: str, text: str, answer: list[str], docs, extra) -> Case:
    turns = [[{"role": "system", "content": FORMAT}, {"role": "user", "content": text}]]
    return Case(case_id, category, "python", turns, docs, answer, extra)


WEB_CASES = [
    question(
        "web_search_base_0",
        "web_search_base",
        "Who designed the Copper River Bridge?",
        ["Ada Marlowe"],
        WEB_DOCS,
        {
            "involved_classes": ["WebSearchAPI"],
            "initial_config": {"WebSearchAPI": {"show_snippet": True}},
        },
    ),
    question(
        "web_search_no_snippet_0",
        "web_search_no_snippet",
        "Who designed the Copper River Bridge?",
        ["Ada Marlowe"],
        WEB_DOCS,
        {
            "involved_classes": ["WebSearchAPI"],
            "initial_config": {"WebSearchAPI": {"show_snippet": False}},
        },
    ),
]
CHAIN = [
    {
        "id": "memory_prereq_0-travel-0",
        "question": [
            [{"role": "user", "content": "Hi, I am Priya and I live in Lisbon."}],
            [{"role": "user", "content": "My passport expires in March 2027."}],
        ],
    },
    {
        "id": "memory_prereq_1-travel-1",
        "question": [[{"role": "user", "content": "I prefer window seats on long flights."}]],
    },
]


def memory_extra(backend: str) -> dict[str, object]:
    """A memory question's ``extra``: its class, scenario and prerequisites (BFCL's ids)."""
    return {
        "involved_classes": [f"MemoryAPI_{backend}"],
        "scenario": "travel",
        "depends_on": [str(e["id"]).replace("memory", f"memory_{backend}", 1) for e in CHAIN],
    }


def memory_question(backend: str) -> Case:
    return question(
        f"memory_{backend}_0-travel-0",
        f"memory_{backend}",
        "Which city do I live in?",
        ["Lisbon"],
        DOCS[backend],
        memory_extra(backend),
    )


def agentic_suite(name: str = "agentic-mini") -> SuiteData:
    """A suite of these cases (web, memory on every backend) with BFCL-shaped ``extra``."""
    cases = [*WEB_CASES, *(memory_question(b) for b in DOCS)]
    cases += [
        question(
            f"memory_{b}_1-travel-1",
            f"memory_{b}",
            "Which seat do I prefer?",
            ["window"],
            DOCS[b],
            memory_extra(b),
        )
        for b in DOCS
    ]
    return SuiteData(
        name=name,
        version="1",
        source="tests/agentic/cases.py",
        sha256="agentic-mini-1",
        cases=cases,
        extra={"agentic_prompts": PROMPTS, "memory_prereq": {"travel": CHAIN}},
    )
