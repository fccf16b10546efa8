"""Story checks: the asserts that pin every number a notebook's prose quotes, kept out of the lesson.

Every number a notebook's text quotes, and every claim about what an output or a figure shows, is asserted
where it is quoted, so nbval fails the day a change breaks the story (README, "Tests").
The asserts of ``notebooks/NAME.ipynb`` live in ``tests/stories/NAME.py``, one section per check, each
opened by a line ``# %% SECTION``. Where the prose quotes the numbers, a collapsed cell tagged
``story-check`` runs its section in one line (``check_story`` is imported in the notebook's imports cell)::

    check_story("05_posteriors", "far-point", globals())  # story check: asserts the numbers quoted above

A section sees the notebook's names, and the names that earlier sections of the same file defined (the
file reads like a hidden second notebook); nothing it defines reaches the notebook.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Where the story files live: ``tests/stories`` beside the package, in a checkout of the repository.
STORIES = Path(__file__).resolve().parents[2] / "tests" / "stories"

_HEADER = re.compile(r"^# %% (?P<name>[a-z0-9][a-z0-9-]*)\s*$")
_carried: dict[Path, dict] = {}  # per story file: the names its sections have defined so far


def story_sections(path: str | Path) -> dict[str, tuple[int, str]]:
    """The sections of a story file: ``{name: (line number of its header, source)}``, in file order.

    Lines before the first header (the file's comment) belong to no section.

    Raises
    ------
    ValueError
        If a header names a section twice.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "demo.py"
    ...     _ = path.write_text("# about\\n# %% one\\nassert 1\\n# %% two\\nassert 2\\n")
    ...     story_sections(path)
    {'one': (2, 'assert 1\\n'), 'two': (4, 'assert 2\\n')}
    """
    sections: dict[str, tuple[int, str]] = {}
    name, start, body = None, 0, []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(keepends=True), start=1):
        header = _HEADER.match(line)
        if header:
            if name is not None:
                sections[name] = (start, "".join(body))
            name, start, body = header["name"], number, []
            if name in sections:
                raise ValueError(f"{path}: section {name!r} appears twice (line {number})")
        elif name is not None:
            body.append(line)
    if name is not None:
        sections[name] = (start, "".join(body))
    return sections


def check_story(notebook: str, section: str, namespace: dict, *, stories: str | Path | None = None) -> None:
    """Run section ``section`` of ``tests/stories/<notebook>.py`` against the notebook's names ``namespace``.

    The section runs in a copy of ``namespace`` laid over the names earlier sections of the same file defined;
    its own names are kept for later sections, never written into ``namespace``. A failing assert raises as
    usual, its traceback pointing at the line of the story file.

    Parameters
    ----------
    notebook : str
        The notebook's file name without ``.ipynb``, e.g. ``"05_posteriors"``.
    section : str
        The name after ``# %%`` in the story file.
    namespace : dict
        The notebook's ``globals()``.
    stories : str or Path, optional
        The folder of story files (default: ``tests/stories`` of this checkout).

    Raises
    ------
    ValueError
        If the story file or the section does not exist.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "demo.py").write_text("# %% first\\ntwice = 2 * x\\n# %% second\\nassert twice == 6\\n")
    ...     names = {"x": 3}
    ...     check_story("demo", "first", names, stories=folder)
    ...     check_story("demo", "second", names, stories=folder)
    ...     sorted(names)
    ['x']
    """
    path = (Path(stories) if stories is not None else STORIES) / f"{notebook}.py"
    if not path.is_file():
        raise ValueError(f"notebook: expected a story file at {path}, found none for {notebook!r}")
    sections = story_sections(path)
    if section not in sections:
        raise ValueError(f"section: expected one of {sorted(sections)} in {path}, got {section!r}")
    start, source = sections[section]
    carried = _carried.setdefault(path.resolve(), {})
    scope = {**carried, **namespace}
    exec(compile("\n" * start + source, str(path), "exec"), scope)  # noqa: S102 - the project's own test code
    carried.update({name: value for name, value in scope.items() if name not in namespace})
