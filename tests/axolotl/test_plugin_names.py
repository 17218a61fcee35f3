"""The axolotl plugin's import paths: ``AxolotlGuardPlugin`` and its first name
``LRGuardPlugin`` both load, through axolotl's own loader, as the one plugin class."""

from __future__ import annotations

import pytest

pytest.importorskip("axolotl")

from axolotl.integrations.base import BasePlugin, load_plugin  # noqa: E402

from hf_lrguard import axolotl as guard  # noqa: E402


@pytest.mark.parametrize(
    "path", ["hf_lrguard.axolotl.AxolotlGuardPlugin", "hf_lrguard.axolotl.LRGuardPlugin"]
)
def test_both_plugin_paths_load_the_axolotl_plugin(path: str) -> None:
    plugin = load_plugin(path)
    assert type(plugin) is guard.AxolotlGuardPlugin and isinstance(plugin, BasePlugin)
    assert plugin.get_input_args() == "hf_lrguard.axolotl.LRGuardArgs"


def test_the_first_name_is_the_same_class() -> None:
    assert guard.LRGuardPlugin is guard.AxolotlGuardPlugin
    assert guard.AxolotlGuardPlugin.__name__ == "AxolotlGuardPlugin"
    assert {"AxolotlGuardPlugin", "LRGuardPlugin"} <= set(guard.__all__)
