"""What the Python interop clients share: each check's result kept by name
(`pass`, or `fail: ` and why), and the results written where interop/run
collects them for INTEROP.md.

    results = Results()

    @results.check("chat-stream")
    def _():
        ...

    results.finish("openai-python", "openai (Python)")
"""

import json
import os
import sys


class Results(dict):
    """Check name → `pass` or `fail: <error>`."""

    def record(self, name, error=None):
        # A task group's error is the first one it holds.
        while isinstance(error, BaseExceptionGroup):
            error = error.exceptions[0]
        self[name] = "pass" if error is None else f"fail: {type(error).__name__}: {error}"

    def check(self, name):
        """Runs the decorated function now, as the check `name`."""
        def run(test):
            try:
                test()
                self.record(name)
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                self.record(name, error)
            return test
        return run

    def finish(self, client, label):
        """Writes INTEROP_RESULTS/<client>.json, prints each result, and
        exits 1 if a check failed."""
        directory = os.environ.get("INTEROP_RESULTS")
        if directory:
            with open(os.path.join(directory, f"{client}.json"), "w") as f:
                json.dump(self, f)
        for name, result in self.items():
            print(f"{label} {name}: {result}")
        sys.exit(0 if all(result == "pass" for result in self.values()) else 1)
