"""Housekeeping the worker's sweep runs besides mail: registered by the apps that own it.

mailing imports no app; an app registers a function here in its `ready()`
(signatories folds its count journal), and every WORKER_SWEEP_SECONDS each
worker's sweeper calls each one. A function must be safe to run on several
workers at once and to run again.
"""

_SWEEPS = []


def register(function):
    if function not in _SWEEPS:
        _SWEEPS.append(function)
    return function


def all_sweeps():
    return list(_SWEEPS)
