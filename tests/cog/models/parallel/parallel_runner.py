"""Sleeps, two predictions at a time."""

import asyncio

from cog import BaseRunner, Input


class Runner(BaseRunner):
    """Sleeps, two predictions at a time."""

    async def run(
        self,
        label: str = Input(description="Returned when done"),
        seconds: float = Input(description="How long to sleep", default=0.5, ge=0.0, le=5.0),
    ) -> str:
        print(f"{label} sleeps")
        await asyncio.sleep(seconds)
        return label
