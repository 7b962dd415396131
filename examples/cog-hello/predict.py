"""Greets someone, a few words at a time."""

import time

from cog import BaseRunner, ConcatenateIterator, Input


class Runner(BaseRunner):
    """Greets someone, a few words at a time."""

    def setup(self) -> None:
        self.greeting = "Hello"  # a real model loads its weights here, once

    def run(
        self,
        name: str = Input(description="Who to greet", default="world"),
        times: int = Input(description="How many greetings", default=3, ge=1, le=50),
        delay: float = Input(description="Seconds before each greeting", default=0.2, ge=0.0, le=2.0),
    ) -> ConcatenateIterator[str]:
        for number in range(1, times + 1):
            print(f"greeting {number} of {times}")
            time.sleep(delay)
            yield f"{self.greeting}, {name}! "
