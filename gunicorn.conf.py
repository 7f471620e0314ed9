"""gunicorn settings for melanoscan, for starting the service with gunicorn itself:

    gunicorn -c gunicorn.conf.py 'melanoscan.api:create_app()'

They are melanoscan's own settings (melanoscan.config.Settings: MELANOSCAN_BIND or MELANOSCAN_HOST/PORT,
MELANOSCAN_WORKERS, MELANOSCAN_THREADS, MELANOSCAN_CLIENT_READ_TIMEOUT, MELANOSCAN_ORT_THREADS,
MELANOSCAN_TIMEOUT, PROMETHEUS_MULTIPROC_DIR, ...), turned into gunicorn's by the same function
`melanoscan serve` uses, so both start the same service: melanoscan's threaded worker
(melanoscan.serving.worker) and its IP-free logger (melanoscan.serving.glogging).
"""

from melanoscan.cli.serve import gunicorn_options
from melanoscan.config import Settings

globals().update(gunicorn_options(Settings.from_env()))
