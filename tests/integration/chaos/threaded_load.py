"""What the crash tests' loads share (:mod:`crash_load`, :mod:`coop_load`): ``threads`` workers for
``duration_s`` seconds, a counter for their requests, and the caller's way with a lost answer — the
same request again until an answer that settles it, counted as a re-send."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from sandbox.world import World

#: How long a caller keeps re-sending one request before the test fails (a party that never came back).
ANSWER_WAIT_S = 60.0


@dataclass
class ThreadedLoad:
    urls: dict[str, str]
    world: World
    seed: int
    threads: int = 4
    duration_s: float = 8.0
    resent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _n: int = field(default=0, init=False)

    def run(self) -> None:
        workers = [threading.Thread(target=self._worker, args=(i,), daemon=True) for i in range(self.threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    def _worker(self, index: int) -> None:
        raise NotImplementedError

    def _next(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    def _until_answered(
        self, call: Callable[[], requests.Response], settles: Callable[[requests.Response], bool], what: str
    ) -> requests.Response:
        """``call`` again (0.1 s apart) until it gets an answer ``settles`` accepts; no connection is
        never one. Fails the test after :data:`ANSWER_WAIT_S`."""
        deadline = time.monotonic() + ANSWER_WAIT_S
        first = True
        while True:
            if not first:
                with self._lock:
                    self.resent += 1
            first = False
            try:
                answer: requests.Response | None = call()
            except requests.RequestException:
                answer = None
            if answer is not None and settles(answer):
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer for {what} in {ANSWER_WAIT_S} s")
            time.sleep(0.1)
