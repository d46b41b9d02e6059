# The tutorial's one-file app ("Python : Comment faire une api web avec Flask"): the /test
# endpoint the Docker tutorial curls, nothing more. Served by run.sh, as the tutorial does.
from flask import Flask, request

app = Flask(__name__)


@app.route("/test", methods=["GET"])
def test_get():
    return "test_endpoint_get"


@app.route("/test", methods=["POST"])
def test_post():
    return {"endpoint": "test_endpoint_post", "received": request.get_json()}
