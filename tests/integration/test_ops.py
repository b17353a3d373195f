"""``/healthz`` and ``/metrics``: the answers a load balancer and Prometheus rely on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from oer_portal.core.outbox import OutboxEntry
from oer_portal.core.types import utcnow
from oer_portal.extensions import db

TOKEN = "a-long-metrics-token-for-the-tests"


def health(client: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz", **kwargs)
    return response.status_code, response.get_json()


def test_healthy_portal_answers_200_with_every_part(client: Any) -> None:
    status, body = health(client)
    assert status == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "search_index", "file_store"}, \
        "no broker and memory rate limits: those parts do not apply"
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_writes_nothing_and_sets_no_cookie(app: Flask) -> None:
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(OutboxEntry))
    response = app.test_client().get("/healthz")  # as a load balancer: no session
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxEntry)) == before


def test_unwritable_file_store_fails_with_that_part(another_app: Any, app: Flask,
                                                   tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    broken = another_app({**app.config, "STORAGE_DIR": str(blocker / "files")})
    status, body = health(broken.test_client())
    assert status == 503
    assert body["status"] == "failing" and body["failing"] == ["file_store"]
    assert "NotADirectoryError" in body["checks"]["file_store"]["detail"]
    assert body["checks"]["database"]["ok"]


def test_unreachable_broker_fails_with_that_part(another_app: Any, app: Flask) -> None:
    # Port 9 (discard) has no broker listening on this machine or CI's.
    broken = another_app({**app.config, "TASK_BROKER_URL": "redis://127.0.0.1:9/0"})
    status, body = health(broken.test_client())
    assert status == 503 and body["failing"] == ["broker"]


def test_unreachable_rate_limit_storage_fails_with_that_part(another_app: Any,
                                                              app: Flask) -> None:
    broken = another_app({**app.config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0"})
    status, body = health(broken.test_client())
    assert status == 503 and body["failing"] == ["rate_limit_storage"]


def test_broken_database_fails_with_that_part(another_app: Any, app: Flask,
                                              tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database file" * 100)
    broken = another_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{garbage}"})
    status, body = health(broken.test_client())
    assert status == 503 and "database" in body["failing"]
    assert body["checks"]["file_store"]["ok"], "the other parts are still reported"


def test_index_far_behind_the_outbox_fails(app: Flask, client: Any) -> None:
    app.config["HEALTH_MAX_INDEX_LAG"] = 2
    with app.app_context():
        # Written as another process would: rows the index has not applied yet.
        db.session.add_all(OutboxEntry(entity_type="material", entity_id=n) for n in range(3))
        db.session.commit()
    status, body = health(client)
    assert status == 503 and body["failing"] == ["search_index"]
    assert "3 changes" in body["checks"]["search_index"]["detail"]
    app.config["HEALTH_MAX_INDEX_LAG"] = 3
    assert health(client)[0] == 200


def test_healthz_answers_any_host_while_pages_refuse_it(client: Any) -> None:
    assert client.get("/", headers={"Host": "10.1.2.3"}).status_code == 400
    status, body = health(client, headers={"Host": "10.1.2.3"})
    assert status == 200, body
    assert client.get("/healthz/../", headers={"Host": "10.1.2.3"}).status_code == 400


def metric_samples(text: str) -> dict[str, list[Any]]:
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def test_metrics_from_localhost_count_requests_per_endpoint(app: Flask, client: Any,
                                                            make_material: Any,
                                                            make_user: Any) -> None:
    teacher, moderator = make_user("teacher"), make_user("moderator")
    material = make_material(teacher, title="Getallenlijn", publish_by=moderator)
    client.get(f"/materials/{material}", follow_redirects=True)
    client.get("/search?q=getallenlijn")
    response = client.get("/metrics")  # the test client asks from 127.0.0.1
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = metric_samples(response.get_data(as_text=True))
    counts = {(s.labels["endpoint"], s.labels["method"]): s.value
              for s in samples["oer_request_seconds"] if s.name.endswith("_count")}
    assert counts[("materials.show", "GET")] >= 1
    assert counts[("search.search", "GET")] >= 1
    statuses = {(s.labels["endpoint"], s.labels["status"])
                for s in samples["oer_responses"] if s.name.endswith("_total")}
    assert ("materials.show", "200") in statuses
    assert samples["oer_index_documents"][0].value == 1
    assert samples["oer_index_lag"][0].value == 0
    assert samples["oer_task_failures"][0].value == 0
    assert "oer_task_queue_length" not in samples, "no broker: no queue to measure"
    assert samples["oer_follower_lag"] == [], "no follower registered"


def test_metrics_report_followers_queue_and_failures(app: Flask, client: Any) -> None:
    from oer_portal.search.followers import SearchFollower
    from oer_portal.tasks.models import TaskFailure

    with app.app_context():
        db.session.add_all(OutboxEntry(entity_type="material", entity_id=n) for n in range(4))
        db.session.flush()
        newest = db.session.scalar(select(func.max(OutboxEntry.id)))
        db.session.add(SearchFollower(name="web2", position=newest - 3, last_seen=utcnow(),
                                      registered_at=utcnow()))
        db.session.add(TaskFailure(name="materials.derive", args=["ab" * 32], error="boom",
                                   attempts=6))
        db.session.commit()
    app.config["TASK_BROKER_URL"] = "redis://127.0.0.1:6379/15"
    app.config["TASK_QUEUE"] = f"oer-metrics-test-{uuid.uuid4().hex}"
    samples = metric_samples(client.get("/metrics").get_data(as_text=True))
    assert [(s.labels["follower"], s.value) for s in samples["oer_follower_lag"]] == \
        [("web2", 3.0)]
    assert samples["oer_task_failures"][0].value == 1
    queue = samples.get("oer_task_queue_length")
    if queue is not None:  # Redis answered (it does here and in CI)
        assert queue[0].labels["queue"] == app.config["TASK_QUEUE"] and queue[0].value == 0


def test_unknown_addresses_share_one_label(client: Any) -> None:
    client.get("/no-such-page-1")
    client.get("/no-such-page-2")
    samples = metric_samples(client.get("/metrics").get_data(as_text=True))
    endpoints = {s.labels["endpoint"] for s in samples["oer_responses"]}
    assert "unmatched" in endpoints
    assert not any("no-such-page" in endpoint for endpoint in endpoints)


@pytest.mark.parametrize("networks", [(), ("10.0.0.0/8",), "192.168.0.0/16, 10.0.0.0/8"])
def test_metrics_refused_outside_the_allowed_networks_without_token(app: Flask, client: Any,
                                                                    networks: Any) -> None:
    app.config["METRICS_ALLOWED_NETWORKS"] = networks
    response = client.get("/metrics")
    assert response.status_code == 403
    assert "oer_request_seconds" not in response.get_data(as_text=True)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == \
        (200 if networks else 403)


def test_metrics_with_the_token_from_anywhere(app: Flask, client: Any) -> None:
    app.config.update(METRICS_ALLOWED_NETWORKS=(), METRICS_TOKEN=TOKEN)
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=remote).status_code == 403
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", environ_base=remote, headers=wrong).status_code == 403
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", environ_base=remote, headers=right).status_code == 200


def test_metrics_answer_any_host(client: Any) -> None:
    assert client.get("/metrics", headers={"Host": "10.1.2.3"}).status_code == 200


def test_multiprocess_metrics_add_up_the_workers(app: Flask, client: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Under gunicorn each worker writes its counts to PROMETHEUS_MULTIPROC_DIR; a scrape
    answered by any worker reads them all.  A second process stands for the other worker."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    script = (
        "from prometheus_client import Histogram\n"
        "h = Histogram('oer_request_seconds', 'x', ['endpoint', 'method'])\n"
        "h.labels('materials.show', 'GET').observe(0.01)\n"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "PATH": "/usr/bin:/bin"}
    for _worker in range(2):
        subprocess.run([sys.executable, "-c", script], env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    samples = metric_samples(client.get("/metrics").get_data(as_text=True))
    counts = [s.value for s in samples["oer_request_seconds"]
              if s.name.endswith("_count") and s.labels["endpoint"] == "materials.show"]
    assert counts == [2.0], "both workers' requests, summed"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(base: str) -> dict[str, list[Any]]:
    with urllib.request.urlopen(f"{base}/metrics", timeout=60) as answer:  # noqa: S310
        return metric_samples(answer.read().decode())


def healthz_count(samples: dict[str, list[Any]]) -> float:
    return sum(s.value for s in samples["oer_request_seconds"]
               if s.name.endswith("_count") and s.labels["endpoint"] == "ops.healthz")


@contextmanager
def gunicorn(app: Flask, tmp_path: Path, name: str = "web", **settings: str) -> Iterator[str]:
    """The production server on the test's database, index and files: two gunicorn
    workers with production settings (and ``settings`` as ``OER_*``); yields its address."""
    port = free_port()
    env = {
        **os.environ,
        "OER_ENV": "production",
        "OER_SECRET_KEY": "k" * 64,
        "OER_PORTAL_URL": f"http://127.0.0.1:{port}",
        "OER_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "OER_INDEX_DIR": app.config["INDEX_DIR"],
        "OER_STORAGE_DIR": app.config["STORAGE_DIR"],
        "OER_INSTANCE_PATH": str(tmp_path / f"{name}-instance"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"{name}-metrics"),
        **{f"OER_{name}": value for name, value in settings.items()},
    }
    log_file = tmp_path / f"{name}.log"
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:oer_portal.ops.gunicorn_conf",
             "oer_portal:create_app()"], env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:  # noqa: S310
                    assert answer.status == 200
                    break
            except urllib.error.HTTPError as error:
                raise AssertionError(error.read().decode()) from error
            except OSError:
                assert server.poll() is None, log_file.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def test_gunicorn_workers_share_their_counts(app: Flask, tmp_path: Path) -> None:
    """Whichever worker answers ``/metrics`` counts every worker's requests."""
    with gunicorn(app, tmp_path) as base:
        before = healthz_count(scrape(base))  # startup's tries included, answered or not
        for _ in range(20):
            assert status_of(f"{base}/healthz") == 200
        samples = scrape(base)
    assert healthz_count(samples) == before + 20, "every worker's requests, summed"
    pids = {s.labels.get("pid") for s in samples.get("oer_index_lag", [])}
    assert pids <= {None}, "gauges are read at scrape time, not per worker"


def test_servers_share_one_rate_limit_in_redis(app: Flask, tmp_path: Path) -> None:
    """With the limiter's storage in Redis, the API's per-address budget holds across
    processes and machines: two servers, the budget spent on the first, the second refuses
    at once (with the limits in each process's memory it would start afresh)."""
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis not reachable: {error}")
    shared = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
              "RATELIMIT_KEY_PREFIX": f"oer-test-{uuid.uuid4().hex}",
              "API_RATE_LIMIT": "10 per hour"}
    with gunicorn(app, tmp_path, "one", **shared) as one, \
            gunicorn(app, tmp_path, "two", **shared) as two:
        first = [status_of(f"{one}/api/v1/materials") for _ in range(10)]
        second = [status_of(f"{two}/api/v1/materials") for _ in range(3)]
        health = json.loads(urllib.request.urlopen(f"{two}/healthz", timeout=60).read())  # noqa: S310
    assert first == [200] * 10
    assert second == [429] * 3, "the other server knows the budget is spent"
    assert health["checks"]["rate_limit_storage"]["ok"]
