"""The layers of the code hold (pyproject's [tool.importlinter] contracts): core imports no
IMS app, the trail and the shared operation path import no entity, nothing imports demo."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_layer_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "core is the floor KEPT" in result.stdout
