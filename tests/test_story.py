"""The story checks' runner: sections found by name, run in the notebook's names, failures pointing at the file."""

import traceback

import pytest

from gmm_helpers.teach.story import STORIES, check_story, story_sections

STORY = """# Story checks of a demo notebook.
# %% first
doubled = 2 * x
assert doubled == 6

# %% second
assert doubled == 6 and x == 3
# %% shadow
assert doubled == "the notebook's own"
# %% wrong
assert x == 4, "the prose says 4"
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "demo.py").write_text(STORY)
    return tmp_path


def test_sections_in_file_order_with_their_header_lines(folder):
    sections = story_sections(folder / "demo.py")
    assert list(sections) == ["first", "second", "shadow", "wrong"]
    assert sections["first"] == (2, "doubled = 2 * x\nassert doubled == 6\n\n")
    assert sections["wrong"][0] == 10


def test_a_section_sees_earlier_sections_names_and_leaks_none(folder):
    names = {"x": 3}
    check_story("demo", "first", names, stories=folder)
    check_story("demo", "second", names, stories=folder)
    assert names == {"x": 3}, "nothing a section defines reaches the notebook"
    check_story("demo", "shadow", {"x": 3, "doubled": "the notebook's own"}, stories=folder)  # the notebook's names win


def test_a_failing_assert_points_at_the_story_file_line(folder):
    with pytest.raises(AssertionError, match="the prose says 4") as caught:
        check_story("demo", "wrong", {"x": 3}, stories=folder)
    last = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (last.filename, last.lineno, last.line) == (str(folder / "demo.py"), 11, 'assert x == 4, "the prose says 4"')


def test_unknown_section_or_notebook_is_a_clear_error(folder):
    with pytest.raises(ValueError, match=r"section: expected one of \['first', 'second', 'shadow', 'wrong'\].*got 'third'"):
        check_story("demo", "third", {}, stories=folder)
    with pytest.raises(ValueError, match="notebook: expected a story file at .*nothing.py, found none for 'nothing'"):
        check_story("nothing", "first", {}, stories=folder)


def test_a_repeated_section_name_is_refused(tmp_path):
    (tmp_path / "twice.py").write_text("# %% one\nassert 1\n# %% one\nassert 2\n")
    with pytest.raises(ValueError, match="section 'one' appears twice"):
        story_sections(tmp_path / "twice.py")


def test_every_story_file_belongs_to_a_notebook():
    notebooks = {p.stem for p in (STORIES.parents[1] / "notebooks").glob("*.ipynb")}
    assert {p.stem for p in STORIES.glob("*.py")} <= notebooks
