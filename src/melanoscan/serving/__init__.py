"""The HTTP serving stack under gunicorn: a threaded worker whose transport errors are answered in the API's
JSON format, client sockets with a read timeout, and logs that never hold a client address."""
