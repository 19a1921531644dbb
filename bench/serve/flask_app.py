"""The course's Flask app, as a fair baseline for bench/serve: the same CNN
(Keras cifar10_cnn design, 50x50x3 input, 3 classes) in PyTorch on the CPU,
loaded ONCE at start (the course reloaded it per request), random weights
(fine for throughput), served by Flask's own threaded server as in the course.

POST /api/predict takes a multipart "file" field or a raw image body and
answers JSON like the Go server; GET /healthz answers {"status": "ok"}.

    python flask_app.py --port 8081 [--threads 2]
"""

import argparse
import io
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    return ap.parse_args()


# Parsed before the heavy imports, so that --help works without them.
args = parse_args()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from PIL import Image  # noqa: E402
from torch import nn  # noqa: E402

CLASSES = ["monkey", "boar", "crow"]
IMAGE_SIZE = 50


class CNN(nn.Module):
    """Conv32-Conv32-Pool-Drop, Conv64-Conv64-Pool-Drop, Dense512-Drop, Dense3, softmax."""

    def __init__(self, num_classes: int = 3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(11 * 11 * 64, 512), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return torch.softmax(self.classifier(self.features(x)), dim=1)


def create_app() -> Flask:
    torch.manual_seed(0)
    model = CNN(len(CLASSES)).eval()  # loaded once, shared by all requests
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 10 << 20

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.post("/api/predict")
    def predict():
        start = time.perf_counter()
        f = request.files.get("file")
        data = f.read() if f is not None else request.get_data()
        if not data:
            return jsonify(error="missing_file", message="no image"), 400
        try:
            img = Image.open(io.BytesIO(data)).convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE))
        except Exception as exc:  # noqa: BLE001 - any decode failure is the client's
            return jsonify(error="invalid_image", message=str(exc)), 422
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
        with torch.inference_mode():
            probs = model(x)[0].tolist()
        best = int(np.argmax(probs))
        return jsonify(
            {
                "class": CLASSES[best],
                "probability": probs[best],
                "probabilities": [{"class": c, "probability": p} for c, p in zip(CLASSES, probs)],
                "model_id": "torch-random",
                "elapsed_ms": (time.perf_counter() - start) * 1000,
            }
        )

    return app


def main():
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench server: loopback only")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    create_app().run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
