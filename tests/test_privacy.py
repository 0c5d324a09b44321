"""The app sends nothing anywhere and listens on this machine only (photos are health data)."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def test_streamlit_config_keeps_everything_local():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    # an explicit address is what stops Streamlit's public-IP lookup at start-up
    assert config["browser"]["serverAddress"] == "localhost"
    assert config["server"]["address"] == "localhost"


def test_the_package_never_imports_streamlit_or_opens_network_connections():
    for path in (ROOT / "simulation").rglob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text, path
        for needle in ("urllib.request", "requests.", "http.client", "socket.connect"):
            assert needle not in text, (path, needle)
