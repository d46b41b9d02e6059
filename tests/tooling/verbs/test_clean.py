from tests.tooling.fakes import FakeImage, docker_error
from tooling.core.settings import PROJECT_LABEL


def test_clean_removes_only_what_carries_the_projects_labels(fake_docker, inv):
    fake_docker.add_container("flask-service")
    fake_docker.add_container("not-ours", labels={"com.example": "x"})
    fake_docker.add_container("ours-by-image-only", labels={PROJECT_LABEL: "flask-service"})
    fake_docker.images["flask-service:latest"] = FakeImage(["flask-service:latest"], {PROJECT_LABEL: "flask-service"})
    fake_docker.images["python:3.13-slim"] = FakeImage(["python:3.13-slim"])
    fake_docker.images["other:1"] = FakeImage(["other:1"], {PROJECT_LABEL: "another-project"})
    fake_docker.disk = [900_000_000, 700_000_000]

    result = inv("clean")
    assert result.code == 0
    assert set(fake_docker.containers) == {"not-ours", "ours-by-image-only"}
    assert set(fake_docker.images) == {"python:3.13-slim", "other:1"}
    assert "removed container flask-service" in result.out
    assert "removed image flask-service:latest" in result.out
    assert "freed 200 MB" in result.out


def test_clean_is_idempotent(fake_docker, inv):
    fake_docker.add_container("flask-service")
    assert inv("clean").code == 0
    again = inv("clean")
    assert again.code == 0
    assert "nothing to clean" in again.out


def test_clean_all_explains_the_build_cache(fake_docker, inv):
    result = inv("clean", "--all")
    assert result.code == 0 and "docker buildx prune" in result.out


def test_clean_is_scoped_by_the_project_setting(fake_docker, inv, monkeypatch):
    fake_docker.images["a:1"] = FakeImage(["a:1"], {PROJECT_LABEL: "flask-service"})
    fake_docker.images["b:1"] = FakeImage(["b:1"], {PROJECT_LABEL: "smoke-1234"})
    monkeypatch.setenv("INVOKE_DOCKER_PROJECT", "smoke-1234")
    assert inv("clean").code == 0
    assert set(fake_docker.images) == {"a:1"}


def test_what_could_not_be_removed_is_reported_and_the_task_fails(fake_docker, inv):
    fake_docker.images["flask-service:latest"] = FakeImage(["flask-service:latest"], {PROJECT_LABEL: "flask-service"})
    fake_docker.images["flask-service:old"] = FakeImage(["flask-service:old"], {PROJECT_LABEL: "flask-service"})
    removing = fake_docker.image.remove

    def refuse(ref, force=False, prune=True):
        if ref == fake_docker.images["flask-service:old"].id:
            raise docker_error(
                "Error response from daemon: conflict: unable to delete 1a2b (cannot be forced) - "
                "image is being used by running container 3c4d"
            )
        removing(ref, force=force, prune=prune)

    fake_docker.image.remove = refuse
    result = inv("clean")
    assert result.code == 1
    assert "removed image flask-service:latest" in result.out
    assert (
        "could not remove image flask-service:old: Error response from daemon: conflict: unable to delete" in result.out
    )
    assert result.err.strip() == "error: 1 thing(s) could not be removed (above); try `inv clean` again once freed"


def test_an_image_gone_with_one_removed_before_it_is_no_failure(fake_docker, inv):
    fake_docker.images["flask-service:latest"] = FakeImage(["flask-service:latest"], {PROJECT_LABEL: "flask-service"})
    fake_docker.image.remove = lambda ref, force=False, prune=True: (_ for _ in ()).throw(
        docker_error(f"Error: No such image: {ref}")
    )
    result = inv("clean")
    assert result.code == 0 and "could not" not in result.out


def test_a_parent_tried_before_its_child_is_tried_again_once_the_child_went(fake_docker, inv):
    fake_docker.images["flask-service:latest"] = FakeImage(["flask-service:latest"], {PROJECT_LABEL: "flask-service"})
    parent = FakeImage([], {PROJECT_LABEL: "flask-service"})
    child = FakeImage([], {PROJECT_LABEL: "flask-service"})
    fake_docker.images["parent"], fake_docker.images["child"] = parent, child
    removing = fake_docker.image.remove

    def in_order(ref, force=False, prune=True):
        if ref == parent.id and "child" in fake_docker.images:
            raise docker_error(
                f"Error response from daemon: conflict: unable to delete {ref[7:19]} - image has dependent child images"
            )
        removing(ref, force=force, prune=prune)

    fake_docker.image.list = lambda filters=(), all=False: [
        fake_docker.images[n] for n in ("flask-service:latest", "parent", "child")
    ]
    fake_docker.image.remove = in_order
    result = inv("clean")
    assert result.code == 0, result.out + result.err
    assert "could not" not in result.out
    assert set(fake_docker.images) == set()
