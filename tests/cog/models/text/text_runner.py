"""Repeats text (the Cog runner form: `BaseRunner` with `run()`)."""

import logging
import os
import sys
import urllib.request

from cog import BaseRunner, Input, Path


class Runner(BaseRunner):
    """Repeats text, with the prefix a training taught it."""

    def setup(self, weights: Path | None = None) -> None:
        self.prefix = ""
        if weights is not None:
            source = str(getattr(weights, "source", weights))
            if source.startswith(("http://", "https://", "data:")):
                with urllib.request.urlopen(source) as response:
                    self.prefix = response.read().decode()
            else:
                self.prefix = Path(source).read_text()
        print(f"setup: prefix {self.prefix!r}")

    def run(
        self,
        text: str = Input(description="What to repeat", min_length=1, max_length=100),
        times: int = Input(description="How many times", default=1, ge=1, le=5),
        style: str = Input(description="How to say it", default="plain", choices=["plain", "shout"]),
        mode: str = Input(
            description="ok, fail (raise) or crash (the worker exits)", default="ok", choices=["ok", "fail", "crash"]
        ),
    ) -> str:
        print(f"repeating {text!r} {times} times")
        logging.getLogger("text").warning("a warning from logging")
        if mode == "fail":
            raise ValueError("asked to fail")
        if mode == "crash":
            sys.stdout.flush()
            os._exit(7)
        said = " ".join([text] * times)
        return self.prefix + (said.upper() if style == "shout" else said)
