import pytest

from service import create_app


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "MAX_CONTENT_LENGTH": 1024,
            "MAINTENANCE_FILE": str(tmp_path / "maintenance"),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()
