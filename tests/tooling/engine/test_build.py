"""engine/build.py: what the builder decides without building (the edge's tag; the build itself
is tested through `inv build`, tests/tooling/verbs/test_build.py, and for real in the smoke session)."""

from tooling.engine.build import context_tag


def test_a_context_tag_follows_its_content_and_its_inputs_and_nothing_else(tmp_path):
    (tmp_path / "nginx.conf").write_text("events {}\n")
    (tmp_path / "Dockerfile").write_text("FROM nginx\n")
    first = context_tag(tmp_path, "nginx:1", "flask-service", prefix="edge")
    assert first.startswith("edge-") and len(first) == len("edge-") + 16
    assert context_tag(tmp_path, "nginx:1", "flask-service", prefix="edge") == first, "the same content, the same tag"
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert context_tag(tmp_path, "nginx:1", "flask-service", prefix="edge") == first, "caches are not content"
    assert context_tag(tmp_path, "debian-nginx:12", "flask-service", prefix="edge") != first, "another base image"
    (tmp_path / "nginx.conf").write_text("events { worker_connections 10; }\n")
    assert context_tag(tmp_path, "nginx:1", "flask-service", prefix="edge") != first
