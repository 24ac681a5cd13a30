"""`manage.py worker`: django-tasks-db's `db_worker`, healing (see mailing/worker.py).

Same options as `db_worker`. Run one or more in production, under systemd.
"""

from django_tasks_db.management.commands import db_worker

from mailing import worker


class Command(db_worker.Command):
    help = "Run tasks from the database queue; outlive database restarts; sweep."

    def handle(self, *args, **options):
        # db_worker builds its Worker by the module's name: ours in its place.
        original, db_worker.Worker = db_worker.Worker, worker.HealingWorker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
