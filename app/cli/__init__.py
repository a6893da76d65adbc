"""The command line, in one place: `freezer-manage` (manage.py, a console script of its own)
and the `flask` groups `users` and `tokens` (users.py), `runs` (runs.py), `jobs` (jobs.py), `watcher` (watcher.py),
`projects` (projects.py), `audit` (audit.py)."""


def init_app(app):
    from . import audit, jobs, projects, runs, users, watcher
    users.init_app(app)  # `flask users ...`, `flask tokens ...`
    runs.init_app(app)   # `flask runs prune`
    jobs.init_app(app)   # `flask jobs refresh-next-run`
    audit.init_app(app)  # `flask audit list|purge`
    watcher.init_app(app)  # `flask watcher run|tick`
    projects.init_app(app)  # `flask projects move-owner`
