"""A model whose setup() fails."""

from cog import BaseRunner


class Runner(BaseRunner):
    def setup(self) -> None:
        print("loading weights from /nowhere")
        raise RuntimeError("weights missing")

    def run(self, text: str) -> str:
        return text
