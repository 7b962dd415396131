"""Streams words back, one at a time."""

import time

from cog import BasePredictor, ConcatenateIterator, Input


class Predictor(BasePredictor):
    """Streams words back, one at a time."""

    def predict(
        self,
        words: str = Input(description="The words to stream back"),
        delay: float = Input(description="Seconds before each word", default=0.0, ge=0.0, le=1.0),
    ) -> ConcatenateIterator[str]:
        for word in words.split():
            print(f"word {word}")
            for _ in range(10):  # short sleeps: cancellation reaches Python code between them
                time.sleep(delay / 10)
            yield word + " "
