"""Progress on the command line (issue 19): a long step shows its name and time on a terminal, and
nothing when stderr is not a terminal or the output is JSON."""
import io
import time

from insurance_xl.commands.progress import step


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_step_longer_than_the_threshold_shows_its_name_and_clears_the_line():
    out = _Terminal()
    with step("读取 store.xlsx", stream=out, show_after=0.05):
        time.sleep(0.3)
    text = out.getvalue()
    assert "\r读取 store.xlsx … 0 秒" in text and text.endswith("\r")


def test_a_short_step_a_pipe_or_json_output_stay_quiet():
    out = _Terminal()
    with step("校验", stream=out, show_after=1.0):
        pass
    assert out.getvalue() == ""
    piped = io.StringIO()
    with step("校验", stream=piped, show_after=0.0):
        time.sleep(0.1)
    assert piped.getvalue() == ""
    out = _Terminal()
    with step("校验", stream=out, show_after=0.0, json_output=True):
        time.sleep(0.1)
    assert out.getvalue() == ""
