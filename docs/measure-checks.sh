#!/bin/bash
# One run's build, each check's time, and the CPU of everything it ran (a cgroup v1 cpuacct
# group, as root: processes reaped inside the sandbox count too). BENCHMARKS.md, "checks".
# usage: docs/measure-checks.sh TEMPLATE CACHE_DIR LABEL   (twice with one CACHE_DIR: cold, then warm)
t=$1; cache=$2; label=$3
d=${TMPDIR:-/tmp}/measure-checks/$label; rm -rf $d; mkdir -p $d
printf '[sim]\nlatency_ms = 1\n[checks]\ncache_dir = "%s"\n' "$cache" > $d/c.toml
F="$(dirname "$0")/../target/release/factory"
$F --data-dir $d/data --config $d/c.toml new --name Ledgerly --idea "Bookkeeping for freelancers" --template $t >/dev/null
cg=/sys/fs/cgroup/cpuacct/measure-$label; mkdir -p $cg
start=$(date +%s.%N)
sh -c "echo \$\$ > $cg/cgroup.procs; exec $F --data-dir $d/data --config $d/c.toml run --headless --quiet --auto-approve --exit-when-idle"
end=$(date +%s.%N)
cpu=$(cat $cg/cpuacct.usage)
$F --data-dir $d/data --config $d/c.toml status s-01 --json | python3 "$(dirname "$0")/measure-checks-show.py"
python3 -c "print('  whole run: %.1f s wall, %.1f s CPU' % ($end - $start, $cpu / 1e9))"
rmdir $cg 2>/dev/null
