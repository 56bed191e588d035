"""Templates kept compiled between processes (``pipeline.report.compiled_templates``): a cache
that cannot be read or written only means compiling again, never a lost page or notice."""

from __future__ import annotations

import os

from jinja2 import DictLoader, Environment

from pipeline.report import compiled_templates


def _environment(cache) -> Environment:
    return Environment(loader=DictLoader({"page.j2": "Hello {{ name }}"}), bytecode_cache=cache)


def test_a_template_compiled_once_is_read_back_compiled(tmp_path):
    cache = compiled_templates._BestEffortCache(str(tmp_path))
    assert _environment(cache).get_template("page.j2").render(name="A") == "Hello A"
    kept = list(tmp_path.iterdir())
    assert len(kept) == 1
    assert _environment(cache).get_template("page.j2").render(name="B") == "Hello B"


def test_a_cache_folder_that_cannot_be_written_still_renders(tmp_path):
    folder = tmp_path / "gone"
    cache = compiled_templates._BestEffortCache(str(folder))  # never made: every write fails
    assert _environment(cache).get_template("page.j2").render(name="A") == "Hello A"
    assert not folder.exists()


def test_a_damaged_compiled_template_is_compiled_again(tmp_path):
    cache = compiled_templates._BestEffortCache(str(tmp_path))
    _environment(cache).get_template("page.j2")
    (kept,) = tmp_path.iterdir()
    kept.write_bytes(os.urandom(64))
    assert _environment(cache).get_template("page.j2").render(name="C") == "Hello C"
