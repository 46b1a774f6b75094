"""One trial in a fresh process: ``python -m avpipe.bench.trial`` reads a JSON request on
stdin (``case``, ``variant``, ``spec``) and prints the measurement as JSON on stdout."""

from __future__ import annotations

import json
import logging
import sys
import warnings

from avpipe.bench.cases import CASES
from avpipe.bench.measure import measured


def main() -> int:
    request = json.load(sys.stdin)
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    case = CASES[int(request["case"])]
    case.reset(request["spec"])
    with measured() as measurement:
        extra = case.run(request["variant"], request["spec"])
    measurement.extra.update(extra)
    json.dump(measurement.to_dict(), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
