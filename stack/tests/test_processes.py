"""What the stack reads about its processes from the system."""

import signal
import subprocess
import time

from orderdesk_stack.processes import is_stopped


def test_a_process_stopped_by_sigstop_reads_as_stopped_until_continued() -> None:
    process = subprocess.Popen(["sleep", "30"])
    try:
        assert not is_stopped(process.pid)
        process.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while not is_stopped(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert is_stopped(process.pid)
        process.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 5
        while is_stopped(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not is_stopped(process.pid)
    finally:
        process.kill()
        process.wait()
