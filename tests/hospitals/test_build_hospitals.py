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


@pytest.mark.parametrize(
    "raw, address, dialable",
    [
        ("240-7000", "부산광역시 서구 구덕로 179", "051-240-7000"),  # area code left out by the source
        ("2002-8000", "서울특별시 종로구 새문안로 9", "02-2002-8000"),
        ("7462400", "전라남도 순천시 팔마로 212", "061-746-2400"),
        ("02-1644-7541", "서울특별시 강남구", "1644-7541"),  # a nationwide number needs no area code
        ("1588-7562", "경기도 구리시", "1588-7562"),
        ("062-600-7000, 7001", "광주광역시 서구", "062-600-7000"),  # several numbers: the first
        ("055-231-8175/8176", "경상남도 창원시", "055-231-8175"),
        ("0313000114", "경기도 용인시", "031-300-0114"),
        ("", "서울특별시", ""),
        ("240-7000", "어딘가", "240-7000"),  # unknown province: kept as written rather than guessed
    ],
)
def test_phone_numbers_become_dialable(raw, address, dialable):
    assert _script().dialable_phone(raw, address) == dialable


def test_shipped_phones_are_dialable_and_hospitals_unique():
    import csv
    import re

    rows = list(csv.DictReader(SHIPPED.open(encoding="utf-8")))
    odd = [r["phone"] for r in rows if not re.fullmatch(r"0\d{1,2}-\d{3,4}-\d{4}|1[5-8]\d{2}-\d{4}", r["phone"])]
    assert odd == []
    build = _script()
    typed = [{**r, "lat": float(r["lat"]), "lon": float(r["lon"])} for r in rows]
    assert len(build.drop_same_site_duplicates(typed)) == len(rows)
