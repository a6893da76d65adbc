"""The ceiling of bench/request_bench.py: the least a Flask app under our gunicorn settings
can do per request (one JSON answer, no database). Ours is reported as a ratio to it."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def hello():
    return jsonify(hello="world")
