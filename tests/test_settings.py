"""Settings: the environment over the defaults, flags over both, and the derived serving figures."""

from __future__ import annotations

import pytest

from melanoscan.cli.serve import gunicorn_options, parse_args, settings_from
from melanoscan.config import Settings, available_cores


def test_environment_then_overrides(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MELANOSCAN_RATELIMIT_ENABLED", "off")
    monkeypatch.setenv("MELANOSCAN_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("MELANOSCAN_THRESHOLD", "0.6")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/metrics")
    monkeypatch.setenv("MELANOSCAN_WORKERS", "")  # empty: the default
    settings = Settings.from_env(threshold=0.7, log_level=None)
    assert (settings.ratelimit_enabled, settings.trusted_proxies, settings.threshold) == (False, 2, 0.7)
    assert settings.prometheus_multiproc_dir == "/tmp/metrics" and settings.log_level == "INFO"
    with pytest.raises(TypeError):
        Settings.from_env(no_such_setting=1)


def test_threads_split_the_cores_between_workers():
    assert Settings(workers=1).resolved_ort_threads == available_cores()
    assert Settings(workers=available_cores() * 2).resolved_ort_threads == 1
    assert Settings(workers=4, ort_threads=3).resolved_ort_threads == 3
    assert Settings().resolved_workers == min(2, available_cores())


def test_serve_and_gunicorn_conf_read_the_same_settings(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MELANOSCAN_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("MELANOSCAN_TIMEOUT", "45")
    monkeypatch.setenv("MELANOSCAN_THREADS", "4")
    conf = gunicorn_options(Settings.from_env())
    assert (conf["bind"], conf["timeout"], conf["threads"]) == (["0.0.0.0:9000"], 45, 4)
    assert conf["worker_class"] == "melanoscan.serving.worker.ThreadWorker"
    assert conf["logger_class"] == "melanoscan.serving.glogging.PrivateLogger"
    assert "%(h)s" not in conf["access_log_format"]  # no client address, even if the access log is turned on
    flags = settings_from(parse_args(["--port", "8123", "--workers", "3"]))
    assert gunicorn_options(flags)["bind"] == ["127.0.0.1:8123"]  # a flag outranks MELANOSCAN_BIND
    assert gunicorn_options(flags)["workers"] == 3 and flags.resolved_workers == 3
