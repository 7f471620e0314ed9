"""`melanoscan classify` as a user runs it: a real process, real files, the shipped model."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from melanoscan.api.schemas import Screening

TINY = Path(__file__).resolve().parents[1] / "data" / "isic" / "tiny"
# The API's documented answer, less the id the server gives each recorded screening.
API_FIELDS = set(Screening.model_fields) - {"screening_id", "heatmap"}  # the heat map only with --explain


def classify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "melanoscan.cli", "classify", *args], capture_output=True, text=True, timeout=120
    )


def test_folder_with_a_bad_file_json(tmp_path):
    folder = tmp_path / "photos"
    shutil.copytree(TINY, folder / "nested")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "notes.txt").write_text("ignored: not an image suffix")
    result = classify(str(folder), "--json")
    assert result.returncode == 1  # one file failed; the others were still classified
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 10
    errors = [r for r in rows if "error" in r]
    assert [Path(r["path"]).name for r in errors] == ["broken.jpg"]
    assert errors[0]["error"]["code"] in {"corrupt_image", "unsupported_media_type"}
    for row in rows:
        if "error" in row:
            continue
        assert row.keys() >= API_FIELDS
        assert abs(sum(row["probabilities"].values()) - 1) < 1e-6
        if row["status"] == "ok":
            assert row["probability"] >= 0.5 and row["label"] in row["probabilities"]
        else:
            assert row["label"] is None and "Please take the photo again" in row["message"]


def test_plain_output_threshold_and_korean(tmp_path):
    # Of three classes the top one always reaches 1/3, so every image gets a label at this threshold.
    plain = classify(str(TINY), "--threshold", "0.34")
    answers = {
        row["path"]: row
        for row in map(json.loads, classify(str(TINY), "--threshold", "0.34", "--json").stdout.splitlines())
    }
    assert plain.returncode == 0 and len(plain.stdout.splitlines()) == len(answers) == 9
    for line in plain.stdout.splitlines():
        path, label, percent, *alert = line.split("\t")
        assert label == answers[path]["label"] and label in {"melanoma", "nevus", "seborrheic_keratosis"}
        assert 34.0 <= float(percent.rstrip("%")) <= 100.0
        # A fourth column exactly when melanoma cannot be ruled out beside another label
        assert bool(alert) == (answers[path]["melanoma_alert"] and label != "melanoma")
        if alert:
            assert alert[0].startswith("melanoma not ruled out")
    image = sorted(TINY.glob("*.jpg"))[0]
    retake = classify(str(image), "--threshold", "1.0", "--lang", "ko")
    assert retake.returncode == 0
    assert "\tretake\t" in retake.stdout and "다시 찍어 주세요" in retake.stdout


def test_missing_file_is_an_error_line(tmp_path):
    result = classify(str(tmp_path / "nope.jpg"))
    assert result.returncode == 1
    assert "nope.jpg" in result.stderr and "error" in result.stderr


def test_bad_arguments_are_usage_errors_not_tracebacks():
    image = str(sorted(TINY.glob("*.jpg"))[0])
    for bad in (["--threshold", "0"], ["--threshold", "1.5"], ["--threshold", "nan"], ["--batch-size", "0"],
                ["--batch-size", "-1"]):  # fmt: skip
        result = classify(image, *bad)
        assert result.returncode == 2, bad
        assert "Traceback" not in result.stderr and "error: argument" in result.stderr, bad


def test_a_file_name_that_is_not_utf8_does_not_stop_the_run(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    images = sorted(TINY.glob("*.jpg"))[:2]
    for image in images:
        shutil.copy(image, folder / image.name)
    odd = os.fsencode(folder) + b"/bad\xff.jpg"
    with open(odd, "wb") as handle:
        handle.write(images[0].read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "melanoscan.cli", "classify", "--json", str(folder)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 3 and all(row["status"] in ("ok", "retake") for row in rows)
    # The odd byte comes out as the JSON escape \udcff: valid UTF-8, and the same surrogate os.walk gave
    assert os.fsencode(folder / "bad\udcff.jpg") == odd
    assert any(row["path"] == str(folder / "bad\udcff.jpg") for row in rows)


def test_explain_adds_the_heat_map_to_json_lines(tiny_images):
    run = classify("--json", "--explain", str(tiny_images[0]))
    assert run.returncode == 0, run.stderr
    (line,) = run.stdout.splitlines()
    heat = json.loads(line)["heatmap"]
    assert len(heat["grid"]) == 7 and set(heat["crop"]) == {"left", "top", "width", "height"}
