"""The bundled model: checksum-verified, replaceable by an environment variable, loaded once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from simulation import landmarker
from simulation.errors import ModelFileError
from tests.conftest import SAMPLE


def test_bundled_model_matches_its_checksum():
    assert len(landmarker.verify_model(landmarker.MODEL_PATH)) == 3_758_596  # models/README.md


def test_corrupt_model_names_the_file_and_the_expected_checksum(tmp_path):
    bad = tmp_path / "face_landmarker.task"
    bad.write_bytes(landmarker.MODEL_PATH.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFileError) as err:
        landmarker.verify_model(bad)
    message = str(err.value)
    assert str(bad) in message and landmarker.MODEL_SHA256 in message and "\n" not in message


def test_missing_model_is_one_line(tmp_path):
    with pytest.raises(ModelFileError) as err:
        landmarker.verify_model(tmp_path / "nope.task")
    assert "not found" in str(err.value) and landmarker.MODEL_SHA256 in str(err.value)


@pytest.mark.parametrize("content", [b"", b"not a model"])
def test_cli_with_a_bad_model_exits_2_with_one_line(tmp_path, content):
    bad = tmp_path / "model.task"
    bad.write_bytes(content)
    env = {**os.environ, landmarker.MODEL_ENV: str(bad)}
    run = subprocess.run(
        [sys.executable, "-m", "simulation", "analyze", str(SAMPLE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and str(bad) in run.stderr


def test_landmarker_is_created_once_across_threads():
    seen = []
    threads = [
        threading.Thread(target=lambda: seen.append(landmarker.get_landmarker())) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(x) for x in seen}) == 1


def test_pair_detection_equals_two_single_detections_from_many_threads():
    """The photo and its mirror run on two graphs at once: each result must be exactly what one
    graph gives for that image alone, however many callers share the landmarker."""
    from simulation.ingest import load_image, mirror_pixels

    rgb = load_image(SAMPLE).rgb
    flipped = mirror_pixels(rgb)
    lm = landmarker.get_landmarker()
    alone = (lm.detect(rgb)[0].landmarks_px, lm.detect(flipped)[0].landmarks_px)
    results = []

    def pair() -> None:
        results.append(lm.detect_pair(rgb, flipped))

    threads = [threading.Thread(target=pair) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for direct, mirrored in results:
        assert np.array_equal(direct[0].landmarks_px, alone[0])
        assert np.array_equal(mirrored[0].landmarks_px, alone[1])
    assert not np.allclose(alone[0], alone[1])
