"""Prints each check of `factory status s-01 --json` (standard input) and the round's total."""
import json, sys
d = json.load(sys.stdin)
tot = 0
for c in d["checks"]:
    tot += c["duration_ms"]
    print("  %-20s %-8s %6.1f s  tests %s/%s" % (c["name"], c["status"], c["duration_ms"] / 1000, c["tests_passed"], c["tests_failed"]))
print("  round total %.1f s; run status %s" % (tot / 1000, d["startup"]["status"]))
