# SPDX-License-Identifier: LGPL-2.1-or-later
"""The integration suite's fixtures, shared (loaded under another module name; it puts
tests/harness on sys.path)."""

import importlib.util
import os

_integration = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration")
_spec = importlib.util.spec_from_file_location("integration_conftest",
                                               os.path.join(_integration, "conftest.py"))
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)

builddir = _shared.builddir
make_testbed = _shared.make_testbed
