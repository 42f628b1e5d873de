"""gunicorn's settings, read from the working directory by every `gunicorn` started there (the
Docker image, the benchmarks). The command line gives the rest (bind address, workers)."""

import gunicorn.http.wsgi


class _Response(gunicorn.http.wsgi.Response):
    """gunicorn's response without its `Server: gunicorn` line: which software answers is
    nobody's business but ours (a reverse proxy in front sends its own)."""

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.startswith("Server:")]


# Every worker builds its responses from this module attribute.
gunicorn.http.wsgi.Response = _Response
