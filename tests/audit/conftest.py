import pytest


@pytest.fixture(autouse=True)
def checkpoint_file(settings, tmp_path):
    """Each audit test anchors its own trail in a checkpoint file of its own."""
    settings.IMS_AUDIT_CHECKPOINT_FILE = tmp_path / "checkpoints.jsonl"
    return settings.IMS_AUDIT_CHECKPOINT_FILE
