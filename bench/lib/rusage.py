"""Runs commands and reports each one's CPU time and peak RSS, as the kernel counts them (wait4).

Reads JSON on stdin: {"rounds": N, "commands": [{"name", "argv", "cwd", "env"}]}. Each round runs
every command once, in order, so a change of load on the machine affects all of them alike.
Writes one JSON line per run: {"name", "round", "user", "sys", "maxrss"} (seconds, seconds, KiB).
Node cannot read a child's rusage, and GNU time prints only hundredths of a second; this can.
The output of a command is thrown away; a failing command stops everything with its stderr.
"""
import json
import os
import sys
import tempfile

spec = json.load(sys.stdin)
devnull = os.open(os.devnull, os.O_RDWR)
for round_ in range(spec["rounds"]):
    for command in spec["commands"]:
        with tempfile.TemporaryFile() as err:
            # posix_spawn (vfork-like) rather than fork: a forked copy of this Python would count in the peak RSS.
            os.chdir(command["cwd"])
            pid = os.posix_spawnp(command["argv"][0], command["argv"], command["env"], file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ])
            _, status, usage = os.wait4(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                err.seek(0)
                sys.exit(f"{command['name']} failed ({status}):\n{err.read().decode()}")
        print(json.dumps({"name": command["name"], "round": round_, "user": usage.ru_utime, "sys": usage.ru_stime, "maxrss": usage.ru_maxrss}), flush=True)
