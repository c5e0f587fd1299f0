"""A button on a desktop book with no unsaved changes reads the saved file (through the cache of
parsed registers) instead of moving every cell through COM (issue 19); otherwise the cells."""
from types import SimpleNamespace

import pandas as pd

from insurance_xl.excel.book import read_book, saved_file
from insurance_xl.reading.store import read_store

from tests.conftest import sample


class _Book:
    """What read_book asks of a desktop xlwings Book; its sheets must not be touched when saved."""

    def __init__(self, path, saved: bool, engine: str = "excel") -> None:
        self.fullname, self.name = str(path), path.name
        self.api = SimpleNamespace(Saved=saved)
        self.app = SimpleNamespace(engine=SimpleNamespace(type=engine))

    @property
    def sheets(self):
        raise AssertionError("read the cells through COM")


def test_a_saved_desktop_book_is_read_from_its_file():
    path = sample("store.xlsx")
    got, fresh = read_book(_Book(path, saved=True)), read_store(path)
    for key in fresh.tables:
        pd.testing.assert_frame_equal(got.tables[key], fresh.tables[key])
    assert got.findings == fresh.findings


def test_unsaved_changes_a_new_book_or_the_remote_engine_read_the_cells(tmp_path):
    path = sample("store.xlsx")
    assert saved_file(_Book(path, saved=False)) is None
    assert saved_file(_Book(path, saved=True, engine="remote")) is None
    assert saved_file(_Book(tmp_path / "工作簿1", saved=True)) is None
    assert saved_file(_Book(path, saved=True)) == path
