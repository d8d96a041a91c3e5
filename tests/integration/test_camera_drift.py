# SPDX-License-Identifier: LGPL-2.1-or-later
"""A camera whose clock runs 20 ppm fast is reported as 20 ± 2 ppm. Slow by nature: a 20 ppm
drift is 20 µs a second, so the samples must span minutes to show it through measurements
that are good to about a millisecond."""

import math
import time

from test_camera_api import camera_bed
from testbed_clients import sim_set

SPAN_S = 600


def test_drift_of_20_ppm_is_reported_within_2_ppm(make_testbed):
    env = {"PICAMSYNC_CAMERA_CHECK_INTERVAL": "1000", "PICAMSYNC_DRIFT_MIN_SPAN": "60000"}
    bed, sim, cams = camera_bed(make_testbed, env=env)
    path = cams.add(sim["camera"])
    sim_set(sim, driftPpm=20)
    start = time.monotonic()
    readings = []
    while time.monotonic() - start < SPAN_S:
        time.sleep(30)
        drift = cams.prop(path, "DriftPPM")
        if not math.isnan(drift):
            readings.append(round(drift, 2))
    history = cams.call(path, "GetDriftHistory")[0]
    print(f"{len(history)} samples over {SPAN_S} s; DriftPPM readings: {readings}")
    assert len(history) >= 30
    assert abs(readings[-1] - 20) <= 2, readings
