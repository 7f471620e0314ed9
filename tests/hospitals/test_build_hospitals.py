from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "src" / "melanoscan" / "hospitals" / "data" / "hospitals.csv"


def _script():
    spec = importlib.util.spec_from_file_location("build_hospitals", ROOT / "scripts" / "build_hospitals.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_table_is_the_scripts_output(tmp_path):
    build = _script()
    source = build.default_source()
    if not source.is_file():
        pytest.skip(f"shared source not present: {source} (set MELANOSCAN_SHARED)")
    out = tmp_path / "out.csv"
    assert build.main(["--source", str(source), "--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED.read_bytes()


HEADER = "name,kind,dermatology,address,phone,lat,lon\n"


@pytest.mark.parametrize(
    "body, problem",
    [
        ("name,kind,address,phone,lat,lon\nA,hospital,x,1,37,127\n", "missing columns"),
        (HEADER + "A,clinicx,true,x,1,37,127\n", "unknown kind"),
        (HEADER + "A,hospital,yes,x,1,37,127\n", "true/false"),
        (HEADER + "A,hospital,true,x,1,40.1,127\n", "lat"),
        (HEADER + "A,hospital,true,x,1,37,12x\n", "not a number"),
        (HEADER + "A,hospital,true,x,1,37,127\nA,hospital,true,y,2,37,127\n", "duplicate"),
        (HEADER + ",hospital,true,x,1,37,127\n", "empty name"),
    ],
)
def test_validation_rejects_bad_sources(tmp_path, capsys, body, problem):
    build = _script()
    src = tmp_path / "bad.csv"
    src.write_text(body, encoding="utf-8")
    assert build.main(["--source", str(src), "--out", str(tmp_path / "o.csv"), "--expect-rows", "0"]) == 1
    assert problem in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_env_selects_the_shared_folder(tmp_path, monkeypatch):
    build = _script()
    monkeypatch.setenv("MELANOSCAN_SHARED", str(tmp_path))
    assert build.default_source() == tmp_path / "data" / "hospitals" / "kr_hospitals.csv"
    assert os.environ["MELANOSCAN_SHARED"] == str(tmp_path)
