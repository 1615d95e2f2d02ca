"""Where a sandbox call's cgroup v2 goes: under the server's cgroup, beside it, or nowhere.

The kernel is faked by folders with the two files `_v2_parent` reads, so the choice is tested on
any machine (the machine this was written on has cgroup v1, where the real path is tested by
tests/reliability/test_sandbox_totals.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.servers import cgroups


def _cgroup(folder: Path, controllers: str, subtree: str | None) -> Path:
    folder.mkdir(parents=True)
    (folder / "cgroup.controllers").write_text(controllers + "\n")
    if subtree is None:
        (folder / "cgroup.subtree_control").mkdir()  # stands for a write the kernel refuses
    else:
        (folder / "cgroup.subtree_control").write_text(subtree + "\n")
    return folder


@pytest.fixture
def own_cgroup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def place(parent_subtree: str, own_subtree: str | None) -> Path:
        _cgroup(tmp_path / "slice", "cpu memory pids", parent_subtree)
        own = _cgroup(tmp_path / "slice" / "server", "memory pids", own_subtree)
        monkeypatch.setattr(cgroups, "_folder", lambda controller: own)
        return own

    return place


def test_the_servers_own_cgroup_when_it_offers_memory_and_pids(own_cgroup) -> None:
    own = own_cgroup(parent_subtree="memory pids", own_subtree="memory pids")
    assert cgroups._v2_parent() == own


def test_beside_the_server_when_only_the_parent_offers_them(own_cgroup) -> None:
    own = own_cgroup(parent_subtree="cpu memory pids", own_subtree="")
    assert cgroups._v2_parent() == own.parent


def test_enabled_on_the_servers_own_cgroup_when_the_kernel_allows(own_cgroup) -> None:
    own = own_cgroup(parent_subtree="cpu", own_subtree="")
    assert cgroups._v2_parent() == own
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids"


def test_none_when_the_kernel_refuses_to_enable_them(own_cgroup) -> None:
    own_cgroup(parent_subtree="cpu", own_subtree=None)
    assert cgroups._v2_parent() is None
