"""Outbox passes in processes of their own, for tests that kill the sender with SIGKILL.

Usage: python tests/outbox_sender.py DATABASE_URL SMTP_PORT
Builds the app once (it opens no database connection), then for each line "NOW_ISO" read from stdin
forks a child that runs one pass and prints the child's pid; once the child has ended (on its own or
killed), prints "ended". Forking keeps each sender a separate process without paying for a start-up.
"""
import os
import sys
from datetime import datetime

from tracker import create_app
from tracker.reminders.outbox import deliver_outbox

database_url, port = sys.argv[1], int(sys.argv[2])
app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url, "SMTP_HOST": "127.0.0.1",
                  "SMTP_PORT": port, "MAIL_FROM": "nhacviec@langson.test"})
for line in sys.stdin:
    now = datetime.fromisoformat(line.strip())
    pid = os.fork()
    if pid == 0:
        with app.app_context():
            deliver_outbox(now)
        os._exit(0)
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("ended", flush=True)
