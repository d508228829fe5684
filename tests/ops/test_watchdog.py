"""ops.watchdog's rule for stopping a worker; fault drill h (tests/faults) runs it in a real worker."""

import pytest

from ops.watchdog import stalled


@pytest.mark.parametrize(
    ("waiting_seconds", "idle_seconds", "in_hand", "expected"),
    [
        (200, 200, 0, True),  # work has waited the whole stall and the worker took none: stuck
        (200, 200, 1, False),  # busy with a long task: it holds one, and prefetch 1 means it takes no more
        (200, 5, 0, False),  # it received work a moment ago: consuming, the queue is just long
        (5, 200, 0, False),  # idle all night, and work arrived this instant: give it time to take it
        (180, 200, 0, False),  # exactly the stall: not past it yet
    ],
)
def test_a_worker_stops_only_when_work_waited_the_whole_stall_and_it_took_none(
    waiting_seconds, idle_seconds, in_hand, expected
):
    assert (
        stalled(waiting_seconds=waiting_seconds, idle_seconds=idle_seconds, in_hand=in_hand, stall_seconds=180)
        is expected
    )
