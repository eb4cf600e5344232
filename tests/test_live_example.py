"""The README's live negotiation (examples/live_moscow.sh) runs end to end: a real server,
five people through the CLI, an agreement, signatures under office, ratification, and a
bundle that `servanda verify` finds valid and binding."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_live_moscow_walkthrough_ends_in_force():
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "examples" / "live_moscow.sh")], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "VALID AND BINDING" in done.stdout
    assert "IN FORCE" in done.stdout
