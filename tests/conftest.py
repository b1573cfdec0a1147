"""Suite-wide settings.

Hypothesis runs derandomized by default, so a CI run is reproducible (the same examples every
time); ``HYPOTHESIS_PROFILE=explore pytest`` searches new examples, as a developer should
now and then.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("reproducible", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))


# -- Redis for the tests that need one ------------------------------------------------------
# $CAS_TEST_REDIS, else the server at 127.0.0.1:6379; when neither answers and redis-server is
# installed, a private one on a free port for this run (nothing kept on disk), so the test
# command works on a machine whose Redis is not running.

_private_redis = None


def _answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


def pytest_configure(config):
    global _private_redis
    import shutil
    import socket
    import subprocess
    import tempfile
    import time

    if "CAS_TEST_REDIS" in os.environ or _answers("redis://127.0.0.1:6379/0"):
        return
    server = shutil.which("redis-server")
    if server is None:
        return  # the Redis tests fail with a connection error that says so
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="cas-test-redis-")
    _private_redis = folder, subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _answers(url) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.environ["CAS_TEST_REDIS"] = url
    print(f"tests: no Redis at 127.0.0.1:6379; started a private redis-server at {url}")


def pytest_unconfigure(config):
    if _private_redis is not None:
        import shutil

        folder, process = _private_redis
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def redis_nodes():
    """Stores for gateway nodes sharing Redis under a fresh prefix (tests.support.redis_nodes)."""
    from tests.support.redis_nodes import RedisNodes

    nodes = RedisNodes()
    yield nodes
    await nodes.cleanup()
