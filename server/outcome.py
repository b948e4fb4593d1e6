"""How a job ended, from its runners' result events and exit statuses (both executors).

A runner that finished the user's program sends a `result` event; one that died first
(kill -9, a segfault in a C extension, `os.abort()`, `os._exit(3)`) leaves only its
exit status, which is turned into words a user can act on.
"""

from __future__ import annotations

import signal

# What a death by each signal usually means, in the words a user searches for.
SIGNAL_WORDS = {
    signal.SIGSEGV: "crashed: segmentation fault",
    signal.SIGABRT: "crashed: aborted",
    signal.SIGBUS: "crashed: bus error",
    signal.SIGFPE: "crashed: floating-point exception",
    signal.SIGILL: "crashed: illegal instruction",
    signal.SIGKILL: "was killed (SIGKILL): out of memory, or killed from outside",
    signal.SIGTERM: "was terminated (SIGTERM) from outside",
}


def exit_reason(returncode: int | None, who: str = "job process") -> str:
    """Why a process that never reported a result ended, from its exit status."""
    if returncode is None:
        return f"{who} stopped reporting before the program finished"
    if returncode < 0:
        try:
            sig = signal.Signals(-returncode)
        except ValueError:
            return f"{who} was killed by signal {-returncode}"
        words = SIGNAL_WORDS.get(sig)
        return f"{who} {words}" + ("" if sig.name in words else f" ({sig.name})") if words \
            else f"{who} was killed by {sig.name}"
    return f"{who} exited with exit code {returncode} before the program finished"


def job_outcome(returncodes: list[int | None], results: dict) -> tuple[str, str | None]:
    """(state, reason) of a job from each rank's exit status and `result` event (rank -> event)."""
    states = [results.get(rank, {}).get("state") for rank in range(len(returncodes))]
    if all(s == "succeeded" for s in states):
        return "succeeded", None
    for rank, s in enumerate(states):
        if s in ("failed", "cancelled"):
            reason = results[rank].get("reason")
            return s, str(reason)[:500] if reason else ("KeyboardInterrupt" if s == "cancelled" else "the program failed")
    who = "job process" if len(returncodes) == 1 else "a job process"
    died = [code for code, s in zip(returncodes, states) if s is None]
    signalled = [code for code in died if code is not None and code < 0]
    if signalled:
        return "failed", exit_reason(signalled[0], who)
    return "failed", exit_reason(max(died, key=lambda c: c or 0) if died else None, who)
