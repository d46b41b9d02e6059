"""Generated requests thrown at the app: whatever comes in, nothing answers 5xx."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import create_app

app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 4096})

paths = st.text(alphabet=string.ascii_letters + string.digits + "/-._~%?&=+", max_size=200).map(lambda p: "/" + p)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"])
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=100)
headers = st.dictionaries(
    st.sampled_from(["Content-Type", "Accept", "X-Custom", "Content-Encoding", "Accept-Charset"]),
    header_values,
    max_size=4,
)
bodies = st.one_of(st.binary(max_size=6000), st.text(max_size=500).map(str.encode))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=methods, path=paths, headers=headers, body=bodies)
def test_no_request_gets_a_server_error(method, path, headers, body):
    # The path goes in as a WSGI server hands it over (PATH_INFO, QUERY_STRING). Given as a URL to
    # the test client, "//x" would be read as a host name, which no server does.
    route, _, query = path.partition("?")
    environ = {"PATH_INFO": route, "QUERY_STRING": query}
    response = app.test_client().open(method=method, headers=headers, data=body, environ_overrides=environ)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert b"Traceback" not in response.get_data()


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(st.binary(max_size=500), st.text(max_size=300).map(str.encode)))
def test_any_json_post_is_answered_below_500(body):
    response = app.test_client().post("/test", data=body, content_type="application/json")
    assert response.status_code in {200, 400, 413}
