# SPDX-License-Identifier: LGPL-2.1-or-later
"""A camera whose clock runs 200 ppm fast is reported as 200 ± 20 ppm (10 %) by camerad's idle
drift checks, after their samples span 5 minutes.

Why 200 ppm for 5 minutes, not 20 ± 2 ppm for 10 (the test before, the same 10 %): what makes
a reported drift wrong is of two kinds. The noise of each measurement (on this machine under load
a bound of 2 to 10 ms, the midpoints scattering by about 1.5 ms) is a number of µs that does not
depend on the drift; its error in ppm falls as span^-1.5 (more samples, further apart). Mistakes
of method (a measurement dated by when it ended instead of when it is true, a Pi step or the Pi's
rate left in, the drift within a 12 s measurement not compensated) are a fraction of the drift,
which a 10 % tolerance catches at any rate. At 20 ppm the noise alone came to about 2 ppm (one
standard deviation) after 10 minutes on the loaded 2-core machine, as large as the tolerance; at
200 ppm it comes to about 3.5 ppm after 5 minutes, a sixth of it (docs/testing.md, "The camera
drift test"). 200 ppm is within what camerad measures cleanly: 2.4 ms during one 12 s check
before the drift is known, compensated after (docs/drift.md)."""

import math
import time

from test_camera_api import camera_bed

DRIFT_PPM = 200
TOLERANCE_PPM = DRIFT_PPM / 10
SPAN_S = 300
# One idle check every 20 s at least (the test before: 30 samples in 600 s). A check takes
# about 12 s, a few seconds when the machine is quiet.
MIN_SAMPLES = SPAN_S // 20


def test_drift_of_200_ppm_is_reported_within_10_percent(make_testbed):
    env = {"PICAMSYNC_CAMERA_CHECK_INTERVAL": "1000", "PICAMSYNC_DRIFT_MIN_SPAN": "60000"}
    # The drift from the camera's first answer on, so that every sample is on one line.
    bed, sim, cams = camera_bed(make_testbed, env=env, args=("--drift-ppm", str(DRIFT_PPM)))
    path = cams.add(sim["camera"])
    readings = []
    deadline = time.monotonic() + 3 * SPAN_S
    while True:
        time.sleep(10)
        drift = cams.prop(path, "DriftPPM")
        if not math.isnan(drift):
            readings.append(round(drift, 2))
        history = cams.call(path, "GetDriftHistory")[0]
        span_s = (history[-1][0] - history[0][0]) / 1e6 if history else 0
        if span_s >= SPAN_S:
            break
        assert time.monotonic() < deadline, f"samples span only {span_s} s: {history}"
    # The reading that goes with this history (a check may have ended since).
    drift = cams.prop(path, "DriftPPM")
    history = cams.call(path, "GetDriftHistory")[0]
    span_s = (history[-1][0] - history[0][0]) / 1e6
    print(f"{len(history)} samples over {span_s:.0f} s; DriftPPM readings: {readings}; "
          f"last {drift:.2f} ± {cams.prop(path, 'DriftUncertaintyPPM'):.2f}")
    assert len(history) >= MIN_SAMPLES
    assert abs(drift - DRIFT_PPM) <= TOLERANCE_PPM, (drift, readings)
