"""The public surface: every name in ``servanda.__all__`` resolves, and importing the
package stays light (the solver, scipy and the treaty stack load on first use)."""

from __future__ import annotations

import subprocess
import sys

import servanda


def test_every_public_name_resolves():
    for name in servanda.__all__:
        assert getattr(servanda, name) is not None, name


def test_import_servanda_loads_no_heavy_dependency():
    probe = "import sys, servanda; print(sorted(m for m in ('ortools', 'scipy', 'sqlalchemy', 'cryptography') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
