import sys

from bench import app_cost, compare

# `python -m bench`: the benchmark; `python -m bench app-cost`: what a request costs the app itself.
if sys.argv[1:2] == ["app-cost"]:
    sys.exit(app_cost.main(sys.argv[2:]))
sys.exit(compare.main())
