"""`dateline up` adopts the orphans it starts (the postmaster pg_ctl leaves behind, and the
backends a killed postmaster leaves): a dead one is reaped at once, not left to init."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, signal, subprocess, time
    import psutil
    from shared.core.embedded import become_subreaper, reap_orphans

    become_subreaper()
    # A shell that starts `sleep` in the background and exits: `sleep` is orphaned.
    background = "sleep 60 >/dev/null 2>&1 & echo $!"
    shell = subprocess.run(["sh", "-c", background], capture_output=True, text=True)
    orphan = int(shell.stdout)
    adopted = psutil.Process(orphan).ppid() == os.getpid()
    os.kill(orphan, signal.SIGKILL)
    while psutil.Process(orphan).status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.01)
    spared = reap_orphans(frozenset({"postgres"}))  # not a name it reaps
    reaped = reap_orphans(frozenset({"sleep"}))
    print(adopted, spared, reaped, psutil.pid_exists(orphan))
    """
)


def test_an_adopted_orphan_is_ours_and_reaped_once_dead() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "0", "1", "False"]
