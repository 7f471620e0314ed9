"""gunicorn settings for melanoscan. `melanoscan serve` reads this file; it also works directly:

    gunicorn -c gunicorn.conf.py 'melanoscan.api:create_app()'

Everything is overridable from the environment:
    MELANOSCAN_BIND (127.0.0.1:8000), MELANOSCAN_WORKERS (min(2, cores)),
    MELANOSCAN_ORT_THREADS (ONNX Runtime threads per worker; default cores // workers),
    MELANOSCAN_TIMEOUT (30 s), PROMETHEUS_MULTIPROC_DIR (metrics summed over workers).

Inference is CPU-bound and ONNX Runtime already spreads one image over its threads, so run a few
workers and split the cores between them rather than oversubscribing. Each worker is gunicorn's threaded
worker with melanoscan's changes (melanoscan.serving.worker): MELANOSCAN_THREADS threads (16) read uploads
concurrently, so a few stalled clients cannot starve /healthz; a client that sends nothing for
MELANOSCAN_CLIENT_READ_TIMEOUT seconds (10) is dropped; decoding runs one upload at a time per worker;
requests gunicorn cannot parse get the API's JSON error with its security headers. Its logger
(melanoscan.serving.glogging) replaces any IP address in a log line with <ip>.
"""

import os
import shutil

from melanoscan.config import Settings

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

bind = os.environ.get("MELANOSCAN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MELANOSCAN_WORKERS") or min(2, _cores))
worker_class = "melanoscan.serving.worker.ThreadWorker"
threads = Settings.from_env().threads
# Give each worker its share of the cores for ONNX Runtime unless told otherwise.
os.environ.setdefault("MELANOSCAN_ORT_THREADS", str(max(1, _cores // max(1, workers))))

timeout = int(os.environ.get("MELANOSCAN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Refuse oversized request lines and headers early (the body limit is the app's MAX_CONTENT_LENGTH).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# Recycle workers now and then, with jitter so they do not all restart at once.
max_requests = 2000
max_requests_jitter = 200
control_socket_disable = True  # gunicorn >= 24 would open a control socket in $HOME
preload_app = False  # each worker loads its own ONNX Runtime session after fork
# The app writes one JSON access line per request itself (melanoscan.api.request_log: request id,
# no client address, no query string), so gunicorn's own access log stays off.
accesslog = None
access_log_format = '"%(r)s" %(s)s %(b)s %(L)ss "%(a)s"'  # if turned on: no %(h)s (the client's address)
errorlog = "-"
logger_class = "melanoscan.serving.glogging.PrivateLogger"
forwarded_allow_ips = "127.0.0.1"


def on_starting(server):
    """Start each run with an empty Prometheus multiprocess folder (stale files skew counters)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
