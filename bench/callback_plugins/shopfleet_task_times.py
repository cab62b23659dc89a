# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback for bench/bench_fleet.py: one JSON line per task result, with its host, task name and seconds.

The time of a result is from the moment this host started the task (v2_runner_on_start) to its result, so tasks run
again in later serial batches are timed right (the junit callback keys its clock by task, and mixes batches).
Enable with ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins ANSIBLE_CALLBACKS_ENABLED=shopfleet_task_times and set
SHOPFLEET_TASK_TIMES to the output file.
"""

from __future__ import annotations

DOCUMENTATION = """
name: shopfleet_task_times
type: aggregate
short_description: Per-host task durations as JSON lines (benchmark helper)
description:
  - Writes one JSON line per task result to the file named by the E(SHOPFLEET_TASK_TIMES) environment variable.
options: {}
"""

import json
import os
import time
from typing import Any

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "shopfleet_task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._started: dict[tuple[str, str], float] = {}
        self._path = os.environ.get("SHOPFLEET_TASK_TIMES")

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        self._started[(host.get_name(), task._uuid)] = time.monotonic()

    def _record(self, result: Any, status: str) -> None:
        host, task = result._host.get_name(), result._task
        started = self._started.pop((host, task._uuid), None)
        if self._path is None or started is None:
            return
        line = {"host": host, "task": task.get_name(), "status": status, "seconds": round(time.monotonic() - started, 4)}
        with open(self._path, "a", encoding="utf-8") as output:
            output.write(json.dumps(line) + "\n")

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._record(result, "unreachable")
