"""Shouts a text file back."""

import tempfile

from cog import BaseRunner, Input, Path


class Runner(BaseRunner):
    """Shouts a text file back."""

    def run(
        self,
        document: Path = Input(description="A text file"),
        suffix: str = Input(description="Added at the end", default="!"),
    ) -> Path:
        text = Path(document).read_text()
        print(f"read {len(text)} characters")
        shouted = Path(tempfile.mkdtemp()) / "shouted.txt"
        shouted.write_text(text.upper() + suffix)
        return shouted
