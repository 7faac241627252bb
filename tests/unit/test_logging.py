"""What a person at a terminal reads, and what a log collector gets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from engagement.web.observability import configure_logging


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("apscheduler.executors").setLevel(logging.NOTSET)


def test_a_terminal_gets_plain_lines_and_a_pipe_gets_json() -> None:
    terminal, pipe = Terminal(), io.StringIO()
    configure_logging("INFO", "auto", ["s3cret-0123456789abcdef"], stream=terminal)
    logging.getLogger("fusion.test").info("token s3cret-0123456789abcdef refused")
    configure_logging("INFO", "auto", [], stream=pipe)
    logging.getLogger("fusion.test").info("hello")
    line = terminal.getvalue().strip()
    assert not line.startswith("{") and "fusion.test INFO" in line and line.endswith("refused")
    assert "s3cret" not in line
    assert json.loads(pipe.getvalue())["message"] == "hello"


def test_the_scheduler_heartbeat_shows_at_debug_only() -> None:
    quiet, chatty = Terminal(), Terminal()
    heartbeat = logging.getLogger("apscheduler.executors.default")
    configure_logging("INFO", "auto", [], stream=quiet)
    heartbeat.info('Job "dispatch" executed successfully')
    logging.getLogger("apscheduler.executors.default").warning("job missed by 3 s")
    configure_logging("DEBUG", "auto", [], stream=chatty)
    heartbeat.info('Job "dispatch" executed successfully')
    assert "executed successfully" not in quiet.getvalue() and "missed" in quiet.getvalue()
    assert "executed successfully" in chatty.getvalue()
